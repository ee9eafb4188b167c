# Ruimtes betreden (codes `room.*`).

room-invalidName =
    { $maxLength ->
        [one] Die ruimtenaam is ongeldig: gebruik hoogstens { $maxLength } teken.
       *[other] Die ruimtenaam is ongeldig: gebruik 1 tot { $maxLength } tekens.
    }
room-limitReached =
    { $max ->
        [one] Je kunt niet in meer dan { $max } ruimte tegelijk zitten.
       *[other] Je kunt niet in meer dan { $max } ruimtes tegelijk zitten.
    }
