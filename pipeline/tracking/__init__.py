"""MLflow: runs (params, metrics, datasets, models), the model registry and the champion.

Importing the package keeps MLflow's known noise out of the user's terminal:
advice that does not apply here (our dataset sources are local Parquet paths,
our integer columns never hold missing values, the model signature is given
explicitly) and the per-call artifact progress bars.
"""

import logging
import os
import warnings

for _pattern in ("The specified dataset source can be interpreted", "Hint: Inferred schema contains integer",
                 "Add type hints to the `predict` method"):
    warnings.filterwarnings("ignore", message=f".*{_pattern}.*")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
# MLflow's INFO lines (input-example validation, store creation) say nothing a user acts on. MLflow
# sets its loggers' level from this variable when it is imported, after this line runs.
os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
logging.getLogger("mlflow").setLevel(logging.WARNING)
