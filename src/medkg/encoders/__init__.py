"""medkg.encoders (see the open issues for what lands here)."""
