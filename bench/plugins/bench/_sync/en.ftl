# Messages of the sync benchmark's handlers; ids are error codes with dots replaced by dashes.

# $field is the input field out of range: amount or note.
bench-invalidInput = The { $field } of this benchmark sync is out of range.
bench-signInRequired = Only signed-in members receive benchmark syncs.
bench-mismatch = The server output does not answer the input.
