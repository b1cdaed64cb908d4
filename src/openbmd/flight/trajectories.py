"""The :class:`Trajectories` result: a batch of flown trajectories as arrays
(struct of arrays), with summaries in SI units, exports with unit-named columns,
sampled time series and a plot."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .. import earth as E
from . import kernel as K

STATUS_NAMES = {K.STATUS_IMPACT: "impact", K.STATUS_NO_IMPACT: "no impact", K.STATUS_FAILED: "failed"}


@dataclass(eq=False)
class Trajectories:
    vehicles: list
    vehicle_index: np.ndarray
    launch_lat: np.ndarray
    launch_lon: np.ndarray
    launch_alt: np.ndarray
    azimuth: np.ndarray
    kick: np.ndarray
    cutoff: np.ndarray
    initial_speed: np.ndarray
    initial_elevation: np.ndarray
    result: np.ndarray
    stage_times: np.ndarray
    samples_r: np.ndarray | None
    samples_v: np.ndarray | None
    n_samples: np.ndarray | None
    options: object
    target_lat: np.ndarray | None = None
    target_lon: np.ndarray | None = None
    aim_mode: list | None = None

    def __len__(self):
        return self.result.shape[0]

    def take(self, idx) -> "Trajectories":
        """The trajectories ``idx`` (an index array), in that order."""
        idx = np.asarray(idx, dtype=np.int64)
        sub = lambda a: None if a is None else a[idx]  # noqa: E731
        return Trajectories(
            self.vehicles, self.vehicle_index[idx], self.launch_lat[idx], self.launch_lon[idx], self.launch_alt[idx],
            self.azimuth[idx], self.kick[idx], self.cutoff[idx], self.initial_speed[idx], self.initial_elevation[idx],
            self.result[idx], self.stage_times[idx], sub(self.samples_r), sub(self.samples_v), sub(self.n_samples),
            self.options, sub(self.target_lat), sub(self.target_lon),
            None if self.aim_mode is None else [self.aim_mode[i] for i in idx])

    # ---------------------------------------------------------- raw state ----
    def _state(self, col):
        r = self.result
        return r[:, col : col + 3], r[:, col + 3 : col + 6]

    def _speed(self, col):
        return np.linalg.norm(self.result[:, col + 3 : col + 6], axis=1)

    def _fpa(self, col):
        """Flight-path angle of the Earth-relative velocity above the local horizontal (rad)."""
        r, v = self._state(col)
        lat, lon, _ = E.ecef_to_geodetic(r[:, 0], r[:, 1], r[:, 2], self.options.earth)
        _, _, up = E.enu_basis(lat, lon)
        sp = np.linalg.norm(v, axis=1)
        return np.arcsin(np.clip((v * up).sum(1) / np.where(sp > 0, sp, 1.0), -1, 1))

    def _geodetic(self, col):
        r, _ = self._state(col)
        return E.ecef_to_geodetic(r[:, 0], r[:, 1], r[:, 2], self.options.earth)

    # ----------------------------------------------------------- summary ----
    @property
    def vehicle_names(self) -> list[str]:
        names = [str(v) for v in self.vehicles]
        return [names[j] for j in self.vehicle_index]

    @property
    def status(self) -> np.ndarray:
        return self.result[:, K.R_STATUS].astype(int)

    @property
    def impacted(self) -> np.ndarray:
        return self.status == K.STATUS_IMPACT

    @property
    def burnout_time(self):
        return self.result[:, K.R_TBO]

    @property
    def burnout_speed(self):
        return self._speed(K.R_TBO + 1)

    @cached_property
    def burnout_altitude(self):
        return self._geodetic(K.R_TBO + 1)[2]

    @cached_property
    def burnout_flight_path_angle(self):
        return self._fpa(K.R_TBO + 1)

    @property
    def apogee(self):
        """Highest altitude above the ellipsoid (m)."""
        return self.result[:, K.R_HAPO]

    @property
    def apogee_time(self):
        return self.result[:, K.R_TAPO]

    @property
    def flight_time(self):
        return self.result[:, K.R_TIMP]

    @property
    def reentry_time(self):
        return self.result[:, K.R_TRE]

    @property
    def reentry_speed(self):
        return self._speed(K.R_TRE + 1)

    @cached_property
    def reentry_angle(self):
        """Angle of the velocity below the local horizontal at reentry (rad, positive)."""
        return -self._fpa(K.R_TRE + 1)

    @property
    def impact_speed(self):
        return self._speed(K.R_TIMP + 1)

    @cached_property
    def _impact_geodetic(self):
        return self._geodetic(K.R_TIMP + 1)

    @property
    def impact_lat(self):
        return self._impact_geodetic[0]

    @property
    def impact_lon(self):
        return self._impact_geodetic[1]

    @cached_property
    def _range_az(self):
        ok = np.isfinite(self.impact_lat)
        d = np.full(len(self), np.nan)
        az = np.full(len(self), np.nan)
        if ok.any():
            d[ok], az[ok] = E.geodesic_inverse(
                self.launch_lat[ok], self.launch_lon[ok], self.impact_lat[ok], self.impact_lon[ok], self.options.earth
            )
        return d, az

    @property
    def ground_range(self):
        """Geodesic distance from the launch point to the impact point (m)."""
        return self._range_az[0]

    @property
    def impact_azimuth(self):
        """Azimuth of the impact point seen from the launch point (rad)."""
        return self._range_az[1]

    @cached_property
    def miss_distance(self):
        """Geodesic distance from the impact point to the aim point (m), where aimed."""
        if self.target_lat is None:
            return np.full(len(self), np.nan)
        d, _ = E.geodesic_inverse(self.impact_lat, self.impact_lon, self.target_lat, self.target_lon, self.options.earth)
        return d

    # ------------------------------------------------------------ samples ----
    @property
    def sample_times(self) -> np.ndarray:
        if self.samples_r is None:
            raise ValueError("no time series: fly with FlightOptions(output_step=...)")
        return np.arange(self.samples_r.shape[1]) * self.options.output_step

    @cached_property
    def samples_geodetic(self):
        """Latitude, longitude (rad) and altitude (m) of the samples, shape (N, K) each."""
        r = self.samples_r
        if r is None:
            raise ValueError("no time series: fly with FlightOptions(output_step=...)")
        return E.ecef_to_geodetic(r[..., 0], r[..., 1], r[..., 2], self.options.earth)

    def samples_ground_range(self):
        """Ground distance of each sample's sub-point from the launch point (m)."""
        lat, lon, _ = self.samples_geodetic
        d, _ = E.geodesic_inverse(self.launch_lat[:, None], self.launch_lon[:, None], lat, lon, self.options.earth)
        return np.where(np.isfinite(lat), d, np.nan)

    # ------------------------------------------------------------ exports ----
    def to_dataframe(self):
        """One row per trajectory, columns with explicit units."""
        import pandas as pd

        deg = np.degrees
        df = pd.DataFrame(
            {
                "missile": self.vehicle_names,
                "launch_lat_deg": deg(self.launch_lat),
                "launch_lon_deg": deg(self.launch_lon),
                "azimuth_deg": deg(self.azimuth),
                "range_km": self.ground_range / 1e3,
                "burnout_time_s": self.burnout_time,
                "burnout_speed_km_s": self.burnout_speed / 1e3,
                "burnout_altitude_km": self.burnout_altitude / 1e3,
                "burnout_flight_path_angle_deg": deg(self.burnout_flight_path_angle),
                "apogee_km": self.apogee / 1e3,
                "apogee_time_s": self.apogee_time,
                "flight_time_s": self.flight_time,
                "reentry_time_s": self.reentry_time,
                "reentry_speed_km_s": self.reentry_speed / 1e3,
                "reentry_angle_deg": deg(self.reentry_angle),
                "impact_speed_km_s": self.impact_speed / 1e3,
                "impact_lat_deg": deg(self.impact_lat),
                "impact_lon_deg": deg(((self.impact_lon + np.pi) % (2 * np.pi)) - np.pi),
                "kick_deg": deg(self.kick),
                "thrust_cutoff_s": self.cutoff,
                "initial_speed_km_s": self.initial_speed / 1e3,
                "initial_elevation_deg": deg(self.initial_elevation),
                "status": [STATUS_NAMES[s] for s in self.status],
            }
        )
        if self.target_lat is not None:
            df.insert(4, "target_lat_deg", deg(self.target_lat))
            df.insert(5, "target_lon_deg", deg(self.target_lon))
            df["miss_km"] = self.miss_distance / 1e3
            df["aim"] = self.aim_mode
        nst = self.stage_times.shape[1]
        for s in range(nst):
            col = self.stage_times[:, s]
            if np.isfinite(col).any():
                df[f"stage{s + 1}_burnout_s"] = col
        return df

    def samples_dataframe(self):
        """Long table of the time series: one row per trajectory and sample."""
        import pandas as pd

        r, v = self.samples_r, self.samples_v
        if r is None:
            raise ValueError("no time series: fly with FlightOptions(output_step=...)")
        n, k = r.shape[:2]
        lat, lon, h = self.samples_geodetic
        valid = np.arange(k)[None, :] < self.n_samples[:, None]
        tr = np.broadcast_to(np.arange(n)[:, None], (n, k))
        t = np.broadcast_to(self.sample_times[None, :], (n, k))
        return pd.DataFrame(
            {
                "trajectory": tr[valid],
                "t_s": t[valid],
                "x_m": r[..., 0][valid],
                "y_m": r[..., 1][valid],
                "z_m": r[..., 2][valid],
                "vx_m_s": v[..., 0][valid],
                "vy_m_s": v[..., 1][valid],
                "vz_m_s": v[..., 2][valid],
                "lat_deg": np.degrees(lat[valid]),
                "lon_deg": np.degrees(lon[valid]),
                "alt_km": h[valid] / 1e3,
            }
        )

    def to_csv(self, path, samples: bool = False):
        (self.samples_dataframe() if samples else self.to_dataframe()).to_csv(path, index=False)

    def to_parquet(self, path, samples: bool = False):
        (self.samples_dataframe() if samples else self.to_dataframe()).to_parquet(path, index=False)

    def to_records(self) -> list[dict]:
        """JSON-ready dicts (NaN as None)."""
        df = self.to_dataframe()
        recs = df.to_dict(orient="records")
        for rec in recs:
            for k, v in rec.items():
                if isinstance(v, float) and not np.isfinite(v):
                    rec[k] = None
        return recs

    def plot(self, path=None, ax=None, labels=None):
        """Altitude versus ground range of each trajectory (needs a time series)."""
        import matplotlib

        if ax is None:
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(11, 5))
        else:
            fig = ax.figure
        import matplotlib.pyplot as plt

        rng = self.samples_ground_range() / 1e3
        alt = self.samples_geodetic[2] / 1e3
        names = labels or self.vehicle_names
        colors = plt.get_cmap("tab20").colors
        start = len(ax.lines)
        for i in range(len(self)):
            m = slice(0, int(self.n_samples[i]))
            ax.plot(rng[i, m], alt[i, m], label=names[i], color=colors[(start + i) % len(colors)])
        hit = self.impacted
        ax.plot(self.ground_range[hit] / 1e3, np.zeros(hit.sum()), "kx", ms=4, label="_impacts")
        ax.set_xlabel("ground range (km)")
        ax.set_ylabel("altitude (km)")
        # keep every trajectory in view when several batches share the axes
        top = max(ax.get_ylim()[1] if start else 0.0, float(np.nanmax(alt)) * 1.05)
        ax.set_ylim(0, top)
        ax.grid(alpha=0.3)
        n_labels = sum(1 for ln in ax.lines if not ln.get_label().startswith("_"))
        if n_labels <= 24:
            ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
        ax.set_title("; ".join(self.options.assumptions()[:2]), fontsize=8)
        if path is not None:
            fig.savefig(path, dpi=150, bbox_inches="tight")
        return fig
