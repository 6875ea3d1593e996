"""The residents' verdict: asked once after a case is closed, counted for the evaluation."""
