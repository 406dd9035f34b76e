"""Generate ``fnnet/datasets/diabetes.csv``, the SYNTHETIC data of tutorial system 5.

The tutorial fits a logistic regression to a CSV with the columns Glucose,
BloodPressure -> Diabetes. Its file is not public, so fnnet ships a stand-in
made by this script. Every row is invented; none describes a real person, and
the file must not be used for any medical purpose.

The generative model, with the constants defined below:

* ``Diabetes`` is 1 with probability ``PREVALENCE`` (35 %).
* ``Glucose`` (2-hour plasma glucose, mg/dL) is log-normal given the class:
  median 108 (sigma 0.21 on the log scale) without diabetes, 140 (sigma 0.22)
  with it. Glucose is right-skewed, hence the log scale.
* ``BloodPressure`` (diastolic, mmHg) is normal given the class: mean 70
  without and 75 with diabetes, sd 12, with correlation 0.2 between its noise
  and the glucose noise.
* Both are rounded to integers and clipped to ``GLUCOSE_RANGE`` and
  ``PRESSURE_RANGE`` (a safety net; with these constants it rarely acts).

The class means are close to those published for the Pima Indians diabetes
data, so the classes overlap about as much there: a logistic regression on the
two standardized features reaches about 77 % training accuracy, not 100 %.

Regenerate the shipped file, from the repository root::

    python scripts/make_diabetes_csv.py

The output is the same byte for byte on every run and machine: the script
draws only raw 64-bit words from NumPy's PCG64 bit generator (a fixed
algorithm) and makes its own uniforms and normals (Box-Muller), so it does
not depend on NumPy's distribution samplers, which may change between
releases. The file is written atomically (a temporary file in the same
directory, then ``os.replace``), with LF line ends and no trailing spaces.
"""

from __future__ import annotations

import argparse
import os
import pathlib

import numpy as np

from fnnet.io import atomic_write

SEED = 0
N_ROWS = 400
PREVALENCE = 0.35
GLUCOSE_MEDIAN = (108.0, 140.0)  # mg/dL, for Diabetes = 0 and 1
GLUCOSE_LOG_SD = (0.21, 0.22)
PRESSURE_MEAN = (70.0, 75.0)  # mmHg, for Diabetes = 0 and 1
PRESSURE_SD = 12.0
CORRELATION = 0.2
GLUCOSE_RANGE = (44, 300)
PRESSURE_RANGE = (30, 130)
HEADER = "Glucose,BloodPressure,Diabetes"
DEFAULT_PATH = (
    pathlib.Path(__file__).resolve().parents[1] / "fnnet" / "datasets" / "diabetes.csv"
)


def uniforms(seed: int, shape: tuple[int, int]) -> np.ndarray:
    """Return uniforms in [0, 1) of the given shape, from raw PCG64 words only."""
    words = np.random.PCG64(seed).random_raw(shape[0] * shape[1])
    return ((words >> np.uint64(11)) * 2.0**-53).reshape(shape)


def normals(u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """Return standard normals from two arrays of uniforms (Box-Muller)."""
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)


def make_rows(seed: int = SEED, n_rows: int = N_ROWS) -> np.ndarray:
    """Return the integer rows (n_rows, 3): Glucose, BloodPressure, Diabetes."""
    u = uniforms(seed, (5, n_rows))
    diabetes = (u[0] < PREVALENCE).astype(np.int64)
    z_glucose, z_other = normals(u[1], u[2]), normals(u[3], u[4])
    z_pressure = CORRELATION * z_glucose + np.sqrt(1 - CORRELATION**2) * z_other
    log_glucose = np.log(np.take(GLUCOSE_MEDIAN, diabetes))
    glucose = np.exp(log_glucose + np.take(GLUCOSE_LOG_SD, diabetes) * z_glucose)
    pressure = np.take(PRESSURE_MEAN, diabetes) + PRESSURE_SD * z_pressure
    glucose = np.clip(np.rint(glucose), *GLUCOSE_RANGE).astype(np.int64)
    pressure = np.clip(np.rint(pressure), *PRESSURE_RANGE).astype(np.int64)
    return np.stack([glucose, pressure, diabetes], axis=1)


def csv_text(rows: np.ndarray) -> str:
    """Return the CSV text: the header, then one line per row, LF line ends."""
    lines = [HEADER, *(",".join(str(int(v)) for v in row) for row in rows)]
    return "\n".join(lines) + "\n"


def write_diabetes_csv(
    path: str | os.PathLike = DEFAULT_PATH, *, seed: int = SEED, n_rows: int = N_ROWS
) -> pathlib.Path:
    """Write the data set to ``path`` atomically and return the path."""
    path = pathlib.Path(path)
    data = csv_text(make_rows(seed, n_rows)).encode("ascii")
    return atomic_write(path, lambda file: file.write(data))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)
    print(f"wrote {write_diabetes_csv(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
