# Messages of the example handlers; ids are error codes with dots replaced by dashes.

# updateCounter: $amount cannot be increased without overflowing.
examples-amountOutOfRange = The counter cannot go past { $amount }.
examples-emptyMessage = A message cannot be empty.
examples-messageTooLong = The message is { $length } characters long; the maximum is { $max }.
# cursor: $x and $y must lie between 0 and 1.
examples-cursorOutOfRange = The cursor position ({ $x }, { $y }) is outside the canvas.
