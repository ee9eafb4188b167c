# Meldingen van de handlers van de sync-benchmark; ids zijn foutcodes met streepjes in plaats van punten.

# $field is het invoerveld buiten bereik: amount of note.
bench-invalidInput = De { $field } van deze benchmark-sync valt buiten het bereik.
bench-signInRequired = Alleen aangemelde leden ontvangen benchmark-syncs.
bench-mismatch = De uitvoer van de server past niet bij de invoer.
