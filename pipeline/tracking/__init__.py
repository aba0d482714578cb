"""MLflow: runs (params, metrics, datasets, models), the model registry and the champion."""
