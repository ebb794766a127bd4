"""The load warning for a GPU catalog entry whose lower-precision peak is below a higher one's:
MFU is taken against that peak, so the run's figures would read higher than its efficiency."""

from __future__ import annotations

import warnings

from colossim.config.messages import figure
from colossim.config.schema import Scenario
from colossim.errors import ColossimWarning


def warn_precision_peaks(scenario: Scenario) -> None:
    """Warn of a catalog entry whose FP8 peak is below its BF16 peak, or FP4 below FP8: a GPU
    runs lower-precision work no slower (one without FP8 units runs it at the BF16 rate,
    docs/hardware.md), and MFU, taken against the peak at the job's precision, read 80% against
    an efficiency of 70% (QA)."""
    for name, spec in scenario.catalog.items():
        pairs = [("fp8_tflops", spec.fp8_tflops, "bf16_tflops", spec.bf16_tflops)]
        if spec.fp4_tflops is not None:
            pairs.append(("fp4_tflops", spec.fp4_tflops, "fp8_tflops", spec.fp8_tflops))
        for low, low_v, high, high_v in pairs:
            if low_v < high_v:
                warnings.warn(ColossimWarning(
                    f"catalog.{name}.{low} ({figure(low_v)}) is below its {high} "
                    f"({figure(high_v)}): lower precision never runs slower, and MFU is taken "
                    f"against that peak; a GPU without such units runs the work at the higher "
                    f"precision's rate: give {low}: {figure(high_v)}"), stacklevel=3)
