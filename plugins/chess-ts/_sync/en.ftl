# Messages of the TypeScript chess handlers (the same codes and texts as the Rust ones in chess/).
chess-notAGame = { $room } is not a chess game: game rooms are named chess:<white>:<black>.
chess-notInvited = Only the two players and the spectators they invited may watch { $room }.
chess-onlyPlayersInvite = Only the two players of { $room } can invite spectators.
