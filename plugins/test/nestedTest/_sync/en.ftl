test-stepOutOfRange = Step { $step } does not exist; the last step is { $max }.
