"""The critical-infrastructure watch: assets, detectors, alerts and their lifecycle, watch lists."""
