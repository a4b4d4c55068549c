"""valuegrad's neural-network layer: plain Python over ``autograd.Value``."""
