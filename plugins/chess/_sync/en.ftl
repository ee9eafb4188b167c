# $reason is one of the handler's reason codes; an unknown one is shown as is.
chess-illegalMove =
    { $reason ->
        [invalidSquare] { $from } to { $to } is not a move: squares run from a1 to h8.
        [sameSquare] A piece has to leave { $from } to make a move.
        [noPieceMovesLikeThis] No chess piece can move from { $from } to { $to }.
       *[other] The move from { $from } to { $to } is not allowed ({ $reason }).
    }
chess-notAGame = { $room } is not a chess game: game rooms are named chess:<white>:<black>.
chess-notInvited = Only the two players and the spectators they invited may watch { $room }.
chess-onlyPlayersInvite = Only the two players of { $room } can invite spectators.
