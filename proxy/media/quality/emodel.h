#pragma once
// The E-model of ITU-T G.107 (06/2015): a call's transmission rating R, and the MOS estimate
// Annex B derives from it — the "how good did it sound" of a measured call, from the numbers a
// receiver has (loss, its burstiness, delay) and the planning defaults for everything else.
//
//   R = Ro − Is − Id − Ie,eff + A                                              (§7.1)
//   Ro = 15 − 1.5 (SLR + No), No from the circuit, room and floor noise        (§7.2)
//   Is = Iolr + Ist + Iq: loudness, sidetone and quantizing distortion         (§7.3)
//   Id = Idte + Idle + Idd: talker echo (T, TELR), listener echo (Tr, WEPL),
//        and absolute delay Ta (0 up to mT; the delay-sensitivity form of the
//        2014 edition, sT = 1 and mT = 100 ms by default: the classic curve)  (§7.4)
//   Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl/BurstR + Bpl)                        (§7.5)
//   MOS = 1 for R < 0, 4.5 for R > 100, else
//         1 + 0.035 R + R (R − 60)(100 − R) · 7·10⁻⁶                          (Annex B)
// With every parameter at its default (Table 3) R is 93.2 and the MOS 4.41 (§7.7).
//
// Pure arithmetic on doubles (log10, pow, exp, sqrt): no state, no I/O. Inputs are measurements,
// so nothing here asserts on them: a loss outside 0..100 %, a negative delay or a BurstR below 1
// is clamped into the model's range instead (see EModelInput).
#include <cstdint>
#include <optional>

namespace resproxy::media::quality {

// A codec's equipment impairment Ie and packet-loss robustness Bpl (G.113 Appendix I, Table I.3;
// Bpl for random loss).
struct Codec {
  double ie = 0;
  double bpl = 4.3;
};
inline constexpr Codec kG711Plc{.ie = 0.0, .bpl = 25.1};    // G.711 with G.711 Appendix I PLC
inline constexpr Codec kG711NoPlc{.ie = 0.0, .bpl = 4.3};   // G.711, lost packets left silent

// G.107's inputs; every member defaults to Table 3's default value.
struct EModelInput {
  // Terminals and noise.
  double slr = 8;      // send loudness rating, dB
  double rlr = 2;      // receive loudness rating, dB
  double stmr = 15;    // sidetone masking rating, dB
  double lstr = 18;    // listener sidetone rating, dB
  double ds = 3;       // D-value of the telephone, send side
  double dr = 3;       // D-value of the telephone, receive side
  double ps = 35;      // room noise at the send side, dB(A)
  double pr = 35;      // room noise at the receive side, dB(A)
  double nc = -70;     // electric circuit noise referred to the 0 dBr point, dBm0p
  double nfor = -64;   // noise floor at the receive side, dBmp
  double qdu = 1;      // quantizing distortion units
  // Echo and delay (ms). T and Tr left unset follow the delay: T = Ta, Tr = 2 T.
  double telr = 65;    // talker echo loudness rating, dB
  double wepl = 110;   // weighted echo path loss, dB
  double ta_ms = 0;    // absolute (mouth-to-ear) one-way delay
  std::optional<double> t_ms;   // mean one-way delay of the echo path
  std::optional<double> tr_ms;  // round-trip delay in a 4-wire loop
  double st = 1;       // delay sensitivity sT (the 2014 edition's "default" class)
  double mt_ms = 100;  // minimum perceivable delay mT
  // Equipment and packet loss.
  double ie = 0;       // equipment impairment factor
  double bpl = 4.3;    // packet-loss robustness factor
  double ppl = 0;      // packet loss, % (clamped to 0..100)
  double burst_r = 1;  // burst ratio: 1 random loss, > 1 bursty (below 1 is taken as 1)
  double a = 0;        // advantage factor

  // `codec`'s Ie and Bpl.
  void set_codec(const Codec& codec) {
    ie = codec.ie;
    bpl = codec.bpl;
  }
};

// R and the terms it was made of.
struct EModelResult {
  double r = 0;
  double ro = 0, is = 0, id = 0, ie_eff = 0;
  double idte = 0, idle = 0, idd = 0;
  double mos = 1;
};

// Annex B's conversion, with its clamps (1 below R 0, 4.5 above R 100). As Annex B gives it, the
// cubic falls from R 0 to R 3.2 and is under 1 (down to 0.989) until R 6.5; it rises from there.
[[nodiscard]] constexpr double mos_from_r(double r) {
  if (r < 0) return 1.0;
  if (r > 100) return 4.5;
  return 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
}

// Annex B, Table B.1: below R 70 "many users dissatisfied" (and worse below 60, 50). A call whose
// MOS is under the MOS of R 70 (3.597, the table's "3.6") is of poor quality.
inline constexpr double kManyUsersDissatisfiedR = 70.0;
inline constexpr double kPoorMos = mos_from_r(kManyUsersDissatisfiedR);

[[nodiscard]] EModelResult emodel(const EModelInput& in);

// Idd (§7.4): the impairment of the absolute delay `ta_ms` alone; 0 up to `mt_ms`.
[[nodiscard]] double delay_impairment(double ta_ms, double st = 1, double mt_ms = 100);
// Ie,eff (§7.5) for `ppl` % loss (clamped to 0..100) and burst ratio `burst_r` (at least 1).
[[nodiscard]] double effective_equipment_impairment(double ie, double bpl, double ppl, double burst_r);

// BurstR (§7.5) from a received stream's counts: `expected` packets, `lost` of them, in
// `bursts` runs of consecutive losses. Taking the loss as a two-state Markov chain,
// p = P(loss after a received packet) ≈ bursts / received, q = P(received after a loss) =
// bursts / lost, and BurstR = 1 / (p + q) — 1 when the loss is random (p = Ppl, q = 1 − Ppl),
// the mean burst length over the random one otherwise. 1 without loss or with nothing received;
// never below 1 (loss sparser than random is taken as random, Table 3's range starts at 1).
[[nodiscard]] double burst_ratio(std::uint64_t expected, std::uint64_t lost, std::uint64_t bursts);

}  // namespace resproxy::media::quality
