"""The MLflow pyfunc wrapper every logged stance model is served through."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd

from pipeline.core.labels import LABELS
from pipeline.models import load_model


class StancePyfunc(mlflow.pyfunc.PythonModel):
    """MLflow wrapper: a DataFrame with a marked `text` column in, directed stance out."""

    def load_context(self, context) -> None:
        self.model = load_model(Path(context.artifacts["model_dir"]))

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        texts = list(pd.DataFrame(model_input)["text"].astype(str))
        proba = self.model.predict_proba(texts)
        return pd.DataFrame({
            "label": [LABELS[i] for i in proba.argmax(axis=1)],
            "confidence": proba.max(axis=1),
            **{f"p_{label}": proba[:, i] for i, label in enumerate(LABELS)},
        })
