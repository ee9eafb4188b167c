test-stepOutOfRange = Stap { $step } bestaat niet; de laatste stap is { $max }.
