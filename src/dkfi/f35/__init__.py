"""F-35 cooperation: both F-35A fleets and the industry that sustains them, spare-parts pooling quantified with
the standard multi-echelon models (METRIC, VARI-METRIC), joint maintenance planning on Danish and Finnish
capacity, personnel exchanges, qualifications and joint training."""
