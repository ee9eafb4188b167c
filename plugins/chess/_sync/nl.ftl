chess-illegalMove =
    { $reason ->
        [invalidSquare] { $from } naar { $to } is geen zet: velden lopen van a1 tot h8.
        [sameSquare] Een stuk moet { $from } verlaten om een zet te doen.
        [noPieceMovesLikeThis] Geen enkel schaakstuk kan van { $from } naar { $to } gaan.
       *[other] De zet van { $from } naar { $to } is niet toegestaan ({ $reason }).
    }
chess-notAGame = { $room } is geen schaakpartij: partijkamers heten chess:<wit>:<zwart>.
chess-notInvited = Alleen de twee spelers en de toeschouwers die zij uitnodigden mogen { $room } volgen.
chess-onlyPlayersInvite = Alleen de twee spelers van { $room } kunnen toeschouwers uitnodigen.
