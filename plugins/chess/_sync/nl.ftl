chess-illegalMove =
    { $reason ->
        [invalidSquare] { $from } naar { $to } is geen zet: velden lopen van a1 tot h8.
        [sameSquare] Een stuk moet { $from } verlaten om een zet te doen.
        [noPieceMovesLikeThis] Geen enkel schaakstuk kan van { $from } naar { $to } gaan.
       *[other] De zet van { $from } naar { $to } is niet toegestaan ({ $reason }).
    }
