"""Post-stroke balance: two hemispheres and the cerebellum."""
