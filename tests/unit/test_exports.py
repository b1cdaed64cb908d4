"""Exports: DataFrame columns with units, CSV and Parquet round trips, the time
series table and the plot file."""

import numpy as np
import pandas as pd
import pytest

from openbmd.flight import FlightOptions, Impulsive, run

REQUIRED = ["range_km", "burnout_time_s", "burnout_speed_km_s", "burnout_altitude_km", "apogee_km", "flight_time_s",
            "reentry_speed_km_s", "reentry_angle_deg", "impact_lat_deg", "impact_lon_deg"]


@pytest.fixture(scope="module")
def tr():
    return run(Impulsive(), np.radians([10.0, 40.0]), np.radians([20.0, -30.0]), np.radians([45.0, 200.0]),
               speed=[5000.0, 6500.0], elevation=np.radians([30.0, 40.0]), options=FlightOptions(output_step=5.0))


def test_dataframe_has_unit_named_columns(tr):
    df = tr.to_dataframe()
    for c in REQUIRED:
        assert c in df.columns
    assert len(df) == 2
    assert np.all(df["range_km"] > 500)
    assert np.all(df["reentry_angle_deg"] > 0)


def test_csv_and_parquet_round_trip(tr, tmp_path):
    tr.to_csv(tmp_path / "s.csv")
    tr.to_parquet(tmp_path / "s.parquet")
    a = pd.read_csv(tmp_path / "s.csv")
    b = pd.read_parquet(tmp_path / "s.parquet")
    np.testing.assert_allclose(a["range_km"], tr.ground_range / 1e3, rtol=1e-12)
    np.testing.assert_allclose(b["apogee_km"], tr.apogee / 1e3, rtol=1e-15)


def test_time_series_table(tr, tmp_path):
    s = tr.samples_dataframe()
    assert set(s["trajectory"]) == {0, 1}
    assert s.groupby("trajectory")["t_s"].diff().dropna().eq(5.0).all()
    r = np.sqrt(s.x_m**2 + s.y_m**2 + s.z_m**2)
    assert np.all(r > 6.3e6)
    tr.to_parquet(tmp_path / "ts.parquet", samples=True)
    assert len(pd.read_parquet(tmp_path / "ts.parquet")) == len(s)


def test_plot_writes_a_png(tr, tmp_path):
    tr.plot(tmp_path / "p.png")
    data = (tmp_path / "p.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
