"""Design studies in the core: grid points and their requests, the sizing search and the
result table. Pure: the doors run the points and feed their outcomes back."""
