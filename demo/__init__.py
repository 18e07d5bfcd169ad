"""The demo: seeds users of every role and sandbox accounts for every mission. At the top
layer, beside posts, since it reaches into every app below it."""
