# Meldingen van de TypeScript-schaakhandlers (dezelfde codes en teksten als de Rust-versies in chess/).
chess-notAGame = { $room } is geen schaakpartij: partijkamers heten chess:<wit>:<zwart>.
chess-notInvited = Alleen de twee spelers en de toeschouwers die zij uitnodigden mogen { $room } volgen.
chess-onlyPlayersInvite = Alleen de twee spelers van { $room } kunnen toeschouwers uitnodigen.
