"""The logged stance model, as code (MLflow's models-from-code): what loading a model runs.

``log_training`` logs this file as the pyfunc's ``python_model``; MLflow
stores it as source and runs it on load, so the store holds no pickled
Python object: the model's state is the saved model folder (JSON, NumPy
arrays, safetensors) that :class:`~pipeline.tracking.pyfunc.StancePyfunc`
loads from the ``model_dir`` artifact.
"""

import mlflow

from pipeline.tracking.pyfunc import StancePyfunc

mlflow.models.set_model(StancePyfunc())
