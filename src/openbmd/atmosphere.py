"""U.S. Standard Atmosphere 1976, as compiled kernels for numba code.

Source: *U.S. Standard Atmosphere, 1976*, NOAA/NASA/USAF, NOAA-S/T 76-1562,
U.S. Government Printing Office, Washington D.C., 1976 ("the standard").

Input is the geometric altitude ``z`` in metres; outputs are SI: temperature
in K, pressure in Pa, density in kg/m^3, speed of sound in m/s.

Regions
-------
* ``z < 86 km``: the standard's exact 7-layer formulation (its eqs. 18, 23,
  33a/33b, 42, 50). Geometric altitude is converted to geopotential altitude
  with r0 = 6 356 766 m; the molecular-scale temperature is linear in
  geopotential altitude with the standard lapse rates; pressure follows
  hydrostatics with g0 = 9.80665 m/s^2, R* = 8.31432 J/(mol K) and
  M0 = 28.9644 g/mol. The kinetic temperature equals the molecular-scale
  temperature except between 80 and 86 km, where it is multiplied by the
  standard's M/M0 ratio (its Table 8, linearly interpolated). Below 0 m the
  first layer is extrapolated (the standard goes down to -5 km).
  Accuracy: exact to round-off (the standard's own equations).
* ``86 km <= z <= 1000 km``: the kinetic temperature is the standard's closed
  form (isothermal, elliptical, linear and exponential segments, its eqs.
  25-31, exospheric temperature 1000 K). Density and pressure come from a
  table of ln(rho) and ln(p) (``_UPPER_LN_RHO``, ``_UPPER_LN_P``) linearly
  interpolated in altitude: every 0.5 km from 86 to 130 km, every 1 km to
  250 km and every 5 km to 1000 km (359 nodes). Accuracy against the
  standard's Table I (24 published densities between 86 and 1000 km): within
  0.15 %; the interpolation alone adds at most 0.04 % between nodes.
* ``z > 1000 km``: density = pressure = 0 (the temperature formula is
  continued, it tends to 1000 K).

Speed of sound: the standard's ``a = sqrt(gamma R* T_M / M0)`` below 86 km
(gamma = 1.4). The standard does not define it above 86 km; here, by
convention, ``sqrt(gamma R* T / M0)`` with the kinetic temperature ``T`` is
used there (a 0.02 % step at 86 km). It only matters for Mach numbers of
vehicles below ~100 km; above that there is no continuum flow.

Every scalar function is ``@numba.njit(cache=True)``, allocates nothing and
is callable from other compiled code; a NaN altitude gives NaN. The
``*_array`` functions are numba ufuncs working on float arrays of any shape.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = [
    "temperature",
    "pressure",
    "density",
    "speed_of_sound",
    "temperature_array",
    "pressure_array",
    "density_array",
    "speed_of_sound_array",
    "Z_UPPER",
    "Z_TOP",
]

# ---------------------------------------------------------------------------
# Constants of the standard (Table 2 / Section 1.2)
# ---------------------------------------------------------------------------
R0 = 6356766.0  # effective Earth radius for geopotential altitude (m)
G0 = 9.80665  # sea-level gravity (m/s^2)
R_STAR = 8.31432  # universal gas constant of the standard (J/(mol K))
M0 = 0.0289644  # sea-level mean molar mass (kg/mol)
GAMMA = 1.4  # ratio of specific heats
T0 = 288.15  # sea-level temperature (K)
P0 = 101325.0  # sea-level pressure (Pa)

Z_UPPER = 86000.0  # geometric altitude where the 7-layer model ends (m)
Z_TOP = 1000000.0  # top of the standard (m); density = pressure = 0 above

_GMR = G0 * M0 / R_STAR  # hydrostatic constant (K/m)
_GRM = GAMMA * R_STAR / M0  # a^2 = _GRM * T_M  (m^2/(s^2 K))

# 7-layer model: base geopotential altitude (m), lapse rate (K/m)
_HB = np.array([0.0, 11000.0, 20000.0, 32000.0, 47000.0, 51000.0, 71000.0, 84852.0])
_LB = np.array([-0.0065, 0.0, 0.0010, 0.0028, 0.0, -0.0028, -0.0020, 0.0])


def _layer_bases() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Base molecular-scale temperature, base pressure and pressure exponent of each layer."""
    tb = np.empty(7)
    pb = np.empty(7)
    ex = np.empty(7)
    t, p = T0, P0
    for b in range(7):
        tb[b], pb[b] = t, p
        ex[b] = 0.0 if _LB[b] == 0.0 else _GMR / _LB[b]
        dh = _HB[b + 1] - _HB[b]
        t1 = t + _LB[b] * dh
        if _LB[b] == 0.0:
            p = p * math.exp(-_GMR * dh / t)
        else:
            p = p * (t / t1) ** ex[b]
        t = t1
    return tb, pb, ex


_TB, _PB, _EXPO = _layer_bases()

# Standard's Table 8: M/M0 between 80 and 86 km geometric altitude, every 0.5 km.
_MRATIO_Z0 = 80000.0
_MRATIO = np.array(
    [
        1.000000, 0.999996, 0.999989, 0.999971, 0.999941, 0.999909, 0.999870,
        0.999829, 0.999786, 0.999741, 0.999694, 0.999641, 0.999579,
    ]
)  # fmt: skip

# Upper-atmosphere kinetic temperature (standard's eqs. 25-31)
_T7 = 186.8673  # 86-91 km (K)
_TC, _A_ELL, _B_ELL = 263.1905, -76.3232, -19942.9  # 91-110 km ellipse (K, K, m)
_T9, _LK9 = 240.0, 0.012  # 110-120 km (K, K/m)
_T10, _TINF, _LAMBDA = 360.0, 1000.0, 1.875e-5  # above 120 km (K, K, 1/m)

# ---------------------------------------------------------------------------
# 86-1000 km table of ln(density [kg/m^3]) and ln(pressure [Pa]).
#
# Nodes (geometric altitude): 86 km + 0.5 km * i (i = 0..87), 130 km + 1 km * i
# (i = 0..119), 250 km + 5 km * i (i = 0..150); 359 nodes, last one 1000 km.
#
# Where the numbers come from: the standard's number-density equations above
# 86 km (molecular and eddy diffusion of N2, O, O2, Ar, He and H with its
# tabulated coefficients, exospheric temperature 1000 K), integrated with the
# `ussa1976` Python package (version 0.3.4) after correcting one defect in it:
# for atomic oxygen it uses M(N2) instead of the mean molar mass M (M0 below
# 100 km) in the eddy-mixing term M*K/D of the diffusion equation, which
# inflates n(O), and hence the density above ~110 km, by ~7 %. Corrected, the
# result matches the 24 densities of the standard's Table I between 86 and
# 1000 km to <= 0.11 % (its pressures and number densities similarly).
# Node 0 (86 km) is the 7-layer value, so density and pressure are continuous
# at 86 km. The tests rebuild the same reference (with the same correction)
# and check this table against it and against Table I. ussa1976 is a
# test-only dependency: nothing here imports it.
# ---------------------------------------------------------------------------
_UP_Z1 = 130000.0  # end of the 0.5 km segment
_UP_Z2 = 250000.0  # end of the 1 km segment
_UP_N1 = 88  # intervals in 86-130 km
_UP_N2 = 120  # intervals in 130-250 km
_UP_LAST = 357  # index of the last interval (nodes 357-358)

_UPPER_LN_RHO = np.array(
    [
        -11.8756438076, -11.9645976889, -12.0535380651, -12.1424611482, -12.2313708550,
        -12.3202708958, -12.4091649650, -12.4980569625, -12.5869512236, -12.6758527237,
        -12.7647672239, -12.8538258336, -12.9431455537, -13.0327120259, -13.1225114855,
        -13.2125303653, -13.3027548326, -13.3931702889, -13.4837608631, -13.5745089609,
        -13.6653949258, -13.7563964682, -13.8474881659, -13.9386429369, -14.0298385499,
        -14.1210540908, -14.2122683429, -14.3034598179, -14.3946068099, -14.4833527344,
        -14.5717764712, -14.6601186447, -14.7483594113, -14.8364796084, -14.9244611350,
        -15.0122874517, -15.0999442377, -15.1874202662, -15.2747085872, -15.3618081615,
        -15.4487261802, -15.5354814720, -15.6221097106, -15.7086717737, -15.7952679726,
        -15.8820641475, -15.9693444339, -16.0576336066, -16.1480476180, -16.2390401353,
        -16.3277144422, -16.4141747492, -16.4985184005, -16.5808376144, -16.6612199865,
        -16.7397488216, -16.8165031750, -16.8915576408, -16.9649823703, -17.0368434476,
        -17.1072032283, -17.1761206202, -17.2436513342, -17.3098481111, -17.3747609259,
        -17.4384371732, -17.5009218335, -17.5622576258, -17.6224851447, -17.6815662500,
        -17.7394710128, -17.7962485848, -17.8519452167, -17.9066044670, -17.9602673929,
        -18.0129727238, -18.0647570205, -18.1156548215, -18.1656987782, -18.2149197793,
        -18.2633470668, -18.3110083439, -18.3579298747, -18.4041365775, -18.4496521122,
        -18.4944989611, -18.5386985044, -18.5822710910, -18.6252361037, -18.7094164714,
        -18.7913775669, -18.8712453776, -18.9491353205, -19.0251534461, -19.0993974703,
        -19.1719576622, -19.2429176078, -19.3123548720, -19.3803415742, -19.4469448929,
        -19.5122275093, -19.5762480003, -19.6390611889, -19.7007184565, -19.7612680232,
        -19.8207552004, -19.8792226181, -19.9367104310, -19.9932562012, -20.0485173505,
        -20.1033260866, -20.1575800774, -20.2104024970, -20.2627980365, -20.3146389113,
        -20.3652474954, -20.4154521666, -20.4651559005, -20.5137492011, -20.5619593143,
        -20.6097554134, -20.6565095577, -20.7028992730, -20.7489288803, -20.7940510153,
        -20.8387755246, -20.8831567048, -20.9268289671, -20.9700271315, -21.0128972365,
        -21.0552418647, -21.0970384147, -21.1385208347, -21.1796395081, -21.2201468895,
        -21.2603528759, -21.3002608917, -21.3396498198, -21.3786800245, -21.4174237662,
        -21.4558096682, -21.4937554492, -21.5314253327, -21.5688223945, -21.6058031909,
        -21.6424815470, -21.6788966704, -21.7150218423, -21.7507838593, -21.7862914808,
        -21.8215474972, -21.8565021996, -21.8911704965, -21.9255952405, -21.9597790816,
        -21.9936791062, -22.0273345824, -22.0607565067, -22.0939465057, -22.1268898083,
        -22.1596063684, -22.1920986230, -22.2243713286, -22.2564347323, -22.2882800684,
        -22.3199096671, -22.3513357293, -22.3825820137, -22.4136182851, -22.4444467755,
        -22.4750844326, -22.5055713757, -22.5358558001, -22.5659398477, -22.5958365601,
        -22.6256174625, -22.6552028333, -22.6845947320, -22.7137951938, -22.7429127162,
        -22.7718478558, -22.8005959747, -22.8291590333, -22.8576298691, -22.8859600264,
        -22.9141092029, -22.9420792893, -22.9699241083, -22.9976913096, -23.0252831947,
        -23.0527015902, -23.0799483017, -23.1071783214, -23.1342516854, -23.1611568226,
        -23.1878954796, -23.2145439449, -23.2411349467, -23.2675626758, -23.2938288235,
        -23.3199350619, -23.3460411719, -23.3720249963, -23.3978518587, -23.4235233804,
        -23.4490676935, -23.4746389795, -23.5000576660, -23.5253253266, -23.6501699624,
        -23.7725554251, -23.8926358844, -24.0105515394, -24.1264299496, -24.2403872050,
        -24.3525289550, -24.4629513155, -24.5717416711, -24.6789793844, -24.7847364257,
        -24.8892727100, -24.9925443233, -25.0945499413, -25.1953374642, -25.2949495976,
        -25.3935520939, -25.4913489081, -25.5881107534, -25.6838627898, -25.7787117360,
        -25.8730403052, -25.9664539172, -26.0589637222, -26.1509537718, -26.2423272157,
        -26.3328547253, -26.4228256348, -26.5123828626, -26.6011288762, -26.6894211294,
        -26.7773215826, -26.8644254774, -26.9513232959, -27.0376702464, -27.1233130676,
        -27.2089560278, -27.2938037031, -27.3784217585, -27.4626036823, -27.5461820570,
        -27.6297212213, -27.7124277408, -27.7952380406, -27.8772989649, -27.9592156787,
        -28.0406292146, -28.1216967972, -28.2024516399, -28.2827041774, -28.3627822478,
        -28.4422492959, -28.5216242594, -28.6003235232, -28.6789608758, -28.7569034721,
        -28.8347621413, -28.9119517018, -28.9889840056, -29.0654169349, -29.1415689793,
        -29.2172347001, -29.2924468004, -29.3673280013, -29.4415351465, -29.5156080522,
        -29.5887404268, -29.6619751071, -29.7342032878, -29.8063194267, -29.8776615074,
        -29.9485224088, -30.0189349267, -30.0884579134, -30.1578928797, -30.2262810276,
        -30.2943993973, -30.3617393035, -30.4283150995, -30.4945507566, -30.5597033388,
        -30.6245731106, -30.6885432924, -30.7516662521, -30.8143960178, -30.8760055428,
        -30.9371274635, -30.9974210011, -31.0566123667, -31.1155373686, -31.1733126759,
        -31.2302454282, -31.2865907078, -31.3417819184, -31.3963274219, -31.4500408886,
        -31.5026037060, -31.5546618633, -31.6057162869, -31.6556324280, -31.7051364317,
        -31.7535329796, -31.8008565472, -31.8477325149, -31.8935026213, -31.9382560438,
        -31.9825292720, -32.0257346499, -32.0679496288, -32.1097018229, -32.1504326438,
        -32.1901745470, -32.2295138544, -32.2678853311, -32.3053162757, -32.3423055563,
        -32.3784533271, -32.4137203080, -32.4484782534, -32.4825530606, -32.5158096737,
        -32.5484773093, -32.5806394735, -32.6120471101, -32.6427748383, -32.6731889729,
        -32.7029117160, -32.7319694094, -32.7606838267, -32.7888840026, -32.8164790038,
        -32.8435988159, -32.8704333721, -32.8967194622, -32.9224795358, -32.9480083363,
        -32.9731305328, -32.9977778101, -33.0220294733, -33.0461224034, -33.0697872775,
        -33.0930420734, -33.1160718865, -33.1388733503, -33.1613054912, -33.1833837474,
        -33.2053661058, -33.2270788259, -33.2484725845, -33.2695604987,
    ]
)  # fmt: skip
_UPPER_LN_P = np.array(
    [
        -0.9851573743, -1.0740304434, -1.1628733722, -1.2516751520, -1.3404349210,
        -1.4291514547, -1.5178235365, -1.6064503910, -1.6950321376, -1.7835702044,
        -1.8720676410, -1.9605253958, -2.0489311027, -2.1372699789, -2.2255282153,
        -2.3136923177, -2.4017483240, -2.4896809526, -2.5774727333, -2.6651031841,
        -2.7525480686, -2.8397785036, -2.9267601158, -3.0134556658, -3.0998366236,
        -3.1858767290, -3.2715489663, -3.3568254598, -3.4416773669, -3.5237376867,
        -3.6050807938, -3.6859374968, -3.7662760280, -3.8460631901, -3.9252642598,
        -4.0038428876, -4.0817609850, -4.1589785873, -4.2354536732, -4.3111419125,
        -4.3859963019, -4.4599666282, -4.5329986594, -4.6050329041, -4.6760026512,
        -4.7458307418, -4.8144239173, -4.8816619578, -4.9473734609, -5.0113610206,
        -5.0736410753, -5.1342946066, -5.1933986892, -5.2510269110, -5.3072495502,
        -5.3621332727, -5.4157401535, -5.4681267034, -5.5193445660, -5.5694419239,
        -5.6184640160, -5.6664533883, -5.7134501150, -5.7594919978, -5.8046147449,
        -5.8488521323, -5.8922361472, -5.9347971180, -5.9765638299, -6.0175647160,
        -6.0578308362, -6.0973924541, -6.1362780395, -6.1745144041, -6.2121268228,
        -6.2491391441, -6.2855738900, -6.3214523473, -6.3567946507, -6.3916198606,
        -6.4259460328, -6.4597902851, -6.4931688577, -6.5260971699, -6.5585898727,
        -6.5906608983, -6.6223235049, -6.6535903203, -6.6844733809, -6.7451336456,
        -6.8043901043, -6.8623212076, -6.9189989004, -6.9744893505, -7.0288535746,
        -7.0821479777, -7.1344248177, -7.1857326097, -7.2361164784, -7.2856184680,
        -7.3342778159, -7.3821311958, -7.4292129350, -7.4755552090, -7.5211882160,
        -7.5661403349, -7.6104382673, -7.6541071668, -7.6971635108, -7.7392742667,
        -7.7812324475, -7.8229270805, -7.8634929695, -7.9038998527, -7.9440135121,
        -7.9831637619, -8.0221507636, -8.0608715586, -8.0987227665, -8.1364081154,
        -8.1738904258, -8.2105480047, -8.2470383320, -8.2833596019, -8.3189684013,
        -8.3543601326, -8.3895828685, -8.4242711527, -8.4586517199, -8.4928639309,
        -8.5267077908, -8.5601566863, -8.5934382880, -8.6264992011, -8.6590888938,
        -8.6915126616, -8.7237704336, -8.7556365310, -8.7872689247, -8.8187371352,
        -8.8499655035, -8.8808673819, -8.9116070000, -8.9421847578, -8.9724495246,
        -9.0025164943, -9.0324237366, -9.0621403564, -9.0915861479, -9.1208743516,
        -9.1500056668, -9.1789224559, -9.2076390820, -9.2362010379, -9.2646091408,
        -9.2928084182, -9.3208448376, -9.3487296482, -9.3764621972, -9.4040136722,
        -9.4314157150, -9.4586692880, -9.4857749713, -9.5127318628, -9.5395424356,
        -9.5662077062, -9.5927346799, -9.6191371667, -9.6453964557, -9.6715136021,
        -9.6975005644, -9.7233863309, -9.7491319974, -9.7747386465, -9.8002160536,
        -9.8256204666, -9.8508878331, -9.8760192535, -9.9010158257, -9.9259666292,
        -9.9507888530, -9.9754781338, -10.0000355776, -10.0245392086, -10.0489474427,
        -10.0732256592, -10.0973749663, -10.1214411561, -10.1454646981, -10.1693610631,
        -10.1931313572, -10.2167766789, -10.2404314950, -10.2639734978, -10.2873921756,
        -10.3106886200, -10.3339294360, -10.3571429686, -10.3802358277, -10.4032090952,
        -10.4260638436, -10.4489411603, -10.4717325153, -10.4944068234, -10.5169651448,
        -10.5394321709, -10.5619449588, -10.5843431483, -10.6066277852, -10.7170273081,
        -10.8257223035, -10.9328189217, -11.0384133833, -11.1425927307, -11.2454355070,
        -11.3470123714, -11.4473866568, -11.5466148780, -11.6447471945, -11.7418278348,
        -11.8380769912, -11.9334334717, -12.0278756222, -12.1214280712, -12.2141110875,
        -12.3060611852, -12.3974521050, -12.4880500097, -12.5778603945, -12.6669662700,
        -12.7557126395, -12.8437095249, -12.9309505417, -13.0177833683, -13.1041003150,
        -13.1896678968, -13.2747449863, -13.3594518195, -13.4433958632, -13.5269011883,
        -13.6100114505, -13.6923281939, -13.7743959931, -13.8558735371, -13.9366017713,
        -14.0172308153, -14.0969958281, -14.1764152368, -14.2552800089, -14.3334192426,
        -14.4113461793, -14.4883057740, -14.5651555567, -14.6410882488, -14.7166504152,
        -14.7914959503, -14.8657557267, -14.9394359241, -15.0123506355, -15.0848027176,
        -15.1563791539, -15.2275281444, -15.2977134473, -15.3674697260, -15.4362231253,
        -15.5045007530, -15.5717778226, -15.6384900667, -15.7042441056, -15.7693051947,
        -15.8334887191, -15.8968156864, -15.9593820073, -16.0208965768, -16.0818014259,
        -16.1414318841, -16.2006350393, -16.2585131518, -16.3157848779, -16.3719250907,
        -16.4271700186, -16.4815486036, -16.5347292527, -16.5873313003, -16.6386376342,
        -16.6892435298, -16.7387816453, -16.7872795595, -16.8350594217, -16.8816030459,
        -16.9275001272, -16.9723313087, -17.0161567330, -17.0593107463, -17.1013155521,
        -17.1426261709, -17.1830338019, -17.2223819554, -17.2612488255, -17.2990749184,
        -17.3360886481, -17.3724791250, -17.4079055030, -17.4427191835, -17.4768241837,
        -17.5100431225, -17.5428071071, -17.5748237247, -17.6060316412, -17.6369053565,
        -17.6670309146, -17.6964496659, -17.7255684177, -17.7539954186, -17.7818021949,
        -17.8093373189, -17.8362494741, -17.8625991570, -17.8887279263, -17.9142973005,
        -17.9393359763, -17.9642225822, -17.9886077762, -18.0125136410, -18.0362648188,
        -18.0596100478, -18.0825258973, -18.1052566982, -18.1276915911, -18.1497415985,
        -18.1715582519, -18.1931981932, -18.2144925861, -18.2354884924, -18.2564353445,
        -18.2770712106, -18.2974089585, -18.3176705885, -18.3377328836, -18.3575256733,
        -18.3771364568, -18.3966991142, -18.4160171498, -18.4350998606, -18.4541607646,
        -18.4730647873, -18.4917538781, -18.5102813313, -18.5288237060, -18.5471687826,
        -18.5653232462, -18.5834258552, -18.6014695194, -18.6193369498, -18.6370336639,
        -18.6547616641, -18.6723765854, -18.6898325031, -18.7071339843,
    ]
)  # fmt: skip
assert _UPPER_LN_RHO.shape == (_UP_LAST + 2,) and _UPPER_LN_P.shape == (_UP_LAST + 2,)


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------
@numba.njit(cache=True)
def _lower_tm_p(z: float) -> tuple[float, float]:
    """Molecular-scale temperature (K) and pressure (Pa) of the 7-layer model."""
    h = R0 * z / (R0 + z)  # geopotential altitude (m)
    b = 0
    while b < 6 and h >= _HB[b + 1]:
        b += 1
    tb = _TB[b]
    dh = h - _HB[b]
    lapse = _LB[b]
    if lapse == 0.0:
        return tb, _PB[b] * math.exp(-_GMR * dh / tb)
    tm = tb + lapse * dh
    return tm, _PB[b] * math.exp(_EXPO[b] * math.log(tb / tm))


@numba.njit(cache=True)
def _upper_temperature(z: float) -> float:
    """Kinetic temperature (K) above 86 km (continued above 1000 km)."""
    if z <= 91000.0:
        return _T7
    if z <= 110000.0:
        x = (z - 91000.0) / _B_ELL
        return _TC + _A_ELL * math.sqrt(1.0 - x * x)
    if z <= 120000.0:
        return _T9 + _LK9 * (z - 110000.0)
    xi = (z - 120000.0) * (R0 + 120000.0) / (R0 + z)
    return _TINF - (_TINF - _T10) * math.exp(-_LAMBDA * xi)


@numba.njit(cache=True)
def _upper_interp(table: np.ndarray, z: float) -> float:
    """Linear interpolation of ``table`` at ``z``, for 86 km <= z <= 1000 km."""
    if z < _UP_Z1:
        x = (z - Z_UPPER) * 2.0e-3
        off = 0
    elif z < _UP_Z2:
        x = (z - _UP_Z1) * 1.0e-3
        off = _UP_N1
    else:
        x = (z - _UP_Z2) * 2.0e-4
        off = _UP_N1 + _UP_N2
    i = int(x)
    f = x - i
    k = off + i
    if k > _UP_LAST:  # z == 1000 km exactly
        k = _UP_LAST
        f = 1.0
    return table[k] + f * (table[k + 1] - table[k])


@numba.njit(cache=True)
def temperature(z: float) -> float:
    """Kinetic temperature (K) at geometric altitude ``z`` (m)."""
    if z >= Z_UPPER:
        return _upper_temperature(z)
    tm, _ = _lower_tm_p(z)
    if z > _MRATIO_Z0:  # 80-86 km: T = T_M * M/M0 (standard's Table 8)
        x = (z - _MRATIO_Z0) * 2.0e-3
        i = int(x)
        if i > 11:
            i = 11
        f = x - i
        return tm * (_MRATIO[i] + f * (_MRATIO[i + 1] - _MRATIO[i]))
    return tm


@numba.njit(cache=True)
def pressure(z: float) -> float:
    """Pressure (Pa) at geometric altitude ``z`` (m); 0 above 1000 km."""
    if z >= Z_UPPER:
        if z > Z_TOP:
            return 0.0
        return math.exp(_upper_interp(_UPPER_LN_P, z))
    _, p = _lower_tm_p(z)
    return p


@numba.njit(cache=True)
def density(z: float) -> float:
    """Mass density (kg/m^3) at geometric altitude ``z`` (m); 0 above 1000 km."""
    if z >= Z_UPPER:
        if z > Z_TOP:
            return 0.0
        return math.exp(_upper_interp(_UPPER_LN_RHO, z))
    tm, p = _lower_tm_p(z)
    return p * M0 / (R_STAR * tm)


@numba.njit(cache=True)
def speed_of_sound(z: float) -> float:
    """Speed of sound (m/s) at geometric altitude ``z`` (m).

    Below 86 km the standard's ``sqrt(gamma R* T_M / M0)``; above, by
    convention, ``sqrt(gamma R* T / M0)`` with the kinetic temperature.
    """
    if z >= Z_UPPER:
        return math.sqrt(_GRM * _upper_temperature(z))
    tm, _ = _lower_tm_p(z)
    return math.sqrt(_GRM * tm)


# ---------------------------------------------------------------------------
# Array versions (numpy ufuncs: any shape, broadcasting, ``out=`` supported).
# Compiled on first use (PEP 562 module __getattr__), not at import: eager
# ufunc signatures cost about a second at every start of every command,
# and only analyses and tests that ask for them use them.
# ---------------------------------------------------------------------------
def _temperature_array(z):
    """Kinetic temperature (K) for an array of geometric altitudes (m)."""
    return temperature(z)


def _pressure_array(z):
    """Pressure (Pa) for an array of geometric altitudes (m)."""
    return pressure(z)


def _density_array(z):
    """Mass density (kg/m^3) for an array of geometric altitudes (m)."""
    return density(z)


def _speed_of_sound_array(z):
    """Speed of sound (m/s) for an array of geometric altitudes (m)."""
    return speed_of_sound(z)


_ARRAY_FUNCTIONS = {f"{k}_array": v for k, v in (("temperature", _temperature_array), ("pressure", _pressure_array),
                                                 ("density", _density_array), ("speed_of_sound", _speed_of_sound_array))}


def __getattr__(name):
    fn = _ARRAY_FUNCTIONS.get(name)
    if fn is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    uf = numba.vectorize(["float64(float64)"], cache=True)(fn)
    globals()[name] = uf
    return uf


def __dir__():
    return sorted(list(globals()) + list(_ARRAY_FUNCTIONS))
