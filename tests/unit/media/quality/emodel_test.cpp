// The E-model (proxy/media/quality/emodel.h) against ITU-T G.107 (06/2015). Where the
// Recommendation states a figure (§7.7's default R, Annex B's MOS of an R) the test checks it;
// the rest are G.107's equations evaluated by hand (an independent calculation, shown in each
// comment), checked to a tolerance well below the effect of one input step, so a wrong constant
// or exponent fails.
#include "proxy/media/quality/emodel.h"

#include <gtest/gtest.h>

#include <cmath>

namespace resproxy::media::quality {
namespace {

TEST(EModel, DefaultsRateNinetyThreePointTwoAndMosFourPointFourOne) {
  // §7.7: "the calculation results in a very high quality with a rating factor of R = 93.2".
  // By parts: No = −61.18 dBm0p, Ro = 15 − 1.5 (8 − 61.18) = 94.77; Is = Iolr 0.44 + Ist 0.00 +
  // Iq 0.97 = 1.41; Id = Idle 0.15 (Tr 0: Rle = 10.5 · 117 = 1228.5); Ie,eff 0.
  const EModelResult r = emodel(EModelInput{});
  EXPECT_NEAR(r.ro, 94.769, 0.001);
  EXPECT_NEAR(r.is, 1.414, 0.001);
  EXPECT_NEAR(r.idle, 0.149, 0.001);
  EXPECT_DOUBLE_EQ(r.idte, 0.0);  // T = 0: no talker echo
  EXPECT_DOUBLE_EQ(r.idd, 0.0);
  EXPECT_DOUBLE_EQ(r.ie_eff, 0.0);
  EXPECT_NEAR(r.r, 93.206, 0.001);
  EXPECT_EQ(std::round(r.r * 10) / 10, 93.2);
  // Annex B: 1 + 0.035 · 93.206 + 93.206 · 33.206 · 6.794 · 7e-6 = 4.4094.
  EXPECT_NEAR(r.mos, 4.4094, 0.0005);
  EXPECT_EQ(std::round(r.mos * 100) / 100, 4.41);
}

TEST(EModel, EffectiveEquipmentImpairmentOfG711UnderRandomAndBurstyLoss) {
  // G.113 Appendix I: G.711 Ie 0, Bpl 25.1 with PLC, 4.3 without.
  EXPECT_EQ(kG711Plc.ie, 0.0);
  EXPECT_EQ(kG711Plc.bpl, 25.1);
  EXPECT_EQ(kG711NoPlc.bpl, 4.3);
  // Ie,eff = 0 + 95 · 1 / (1/1 + 25.1) = 95 / 26.1 = 3.6398.
  EXPECT_NEAR(effective_equipment_impairment(0, 25.1, 1, 1), 3.6398, 0.0001);
  // Without PLC: 95 / (1 + 4.3) = 17.9245.
  EXPECT_NEAR(effective_equipment_impairment(0, 4.3, 1, 1), 17.9245, 0.0001);
  // 2 % in bursts twice as long as random: 95 · 2 / (2/2 + 25.1) = 7.2797 (random: 95 · 2 / 27.1 = 7.0111).
  EXPECT_NEAR(effective_equipment_impairment(0, 25.1, 2, 2), 7.2797, 0.0001);
  EXPECT_NEAR(effective_equipment_impairment(0, 25.1, 2, 1), 7.0111, 0.0001);
  // Everything lost, random: 95 · 100 / (100 + 25.1) = 75.94; the loss is clamped to 0..100 %.
  EXPECT_NEAR(effective_equipment_impairment(0, 25.1, 100, 1), 75.939, 0.001);
  EXPECT_EQ(effective_equipment_impairment(0, 25.1, 250, 1), effective_equipment_impairment(0, 25.1, 100, 1));
  EXPECT_EQ(effective_equipment_impairment(0, 25.1, -3, 1), 0.0);
  EXPECT_EQ(effective_equipment_impairment(0, 25.1, 2, 0.5), effective_equipment_impairment(0, 25.1, 2, 1));

  EModelInput in;
  in.set_codec(kG711Plc);
  in.ppl = 1;
  const EModelResult r = emodel(in);
  EXPECT_NEAR(r.ie_eff, 3.6398, 0.0001);
  EXPECT_NEAR(r.r, 93.206 - 3.640, 0.002);
}

TEST(EModel, AbsoluteDelayImpairmentFollowsSection74) {
  // Idd = 25 {(1 + X⁶)^(1/6) − 3 (1 + (X/3)⁶)^(1/6) + 2}, X = log2(Ta / 100); 0 up to 100 ms.
  EXPECT_EQ(delay_impairment(0), 0.0);
  EXPECT_EQ(delay_impairment(100), 0.0);
  // 150 ms: X = 0.5850, X⁶ = 0.0400: 25 (1.006569 − 3.000027 + 2) = 0.1635.
  EXPECT_NEAR(delay_impairment(150), 0.1635, 0.0001);
  // 200 ms: X = 1: 25 (2^(1/6) − 3 (1 + 3⁻⁶)^(1/6) + 2) = 25 (1.122462 − 3.000685 + 2) = 3.0444.
  EXPECT_NEAR(delay_impairment(200), 3.0444, 0.0001);
  // 300 ms: X = 1.585, X⁶ = 15.85: 25 (1.601204 − 3.010776 + 2) = 14.7607.
  EXPECT_NEAR(delay_impairment(300), 14.7607, 0.0001);
  // 400 ms: X = 2, X⁶ = 64: 25 (65^(1/6) − 3 (1 + (2/3)⁶)^(1/6) + 2) = 25 (2.005175 − 3.042371 + 2) = 24.0701.
  EXPECT_NEAR(delay_impairment(400), 24.0701, 0.0001);
  // The 2014 edition's delay sensitivity: sT 0.55, mT 150 ms ("low interactivity") impairs less.
  EXPECT_NEAR(delay_impairment(400, 0.55, 150), 11.6129, 0.0001);
  EXPECT_EQ(delay_impairment(150, 0.55, 150), 0.0);

  EModelInput in;
  in.ta_ms = 300;
  in.t_ms = 0;  // an echo-free connection: only Idd and the listener echo of Tr = 0
  EXPECT_NEAR(emodel(in).idd, 14.7607, 0.0001);
  EXPECT_NEAR(emodel(in).r, 93.206 - 14.761, 0.002);
}

TEST(EModel, EchoPathDelaysDefaultToTheAbsoluteDelay) {
  // T = Ta and Tr = 2 T unless given. At Ta = 150 ms with TELR 65 dB and WEPL 110 dB:
  // TERV = 65 − 40 log10(16 / 2) + 0 = 28.88, Re = 117.19, Roe = −1.5 (No − RLR) = 94.77:
  // Idte = (−22.42/2 + √(22.42²/4 + 100) − 1)(1 − e⁻¹⁵⁰) = 2.812;
  // Rle = 10.5 · 117 · 301^−0.25 = 294.9: Idle = (94.77 − 294.9)/2 + √(100.1² + 169) = 0.841;
  // Idd 0.164; R = 93.356 − 3.816 = 89.539 (MOS 4.3275).
  EModelInput in;
  in.ta_ms = 150;
  const EModelResult r = emodel(in);
  EXPECT_NEAR(r.idte, 2.8118, 0.0005);
  EXPECT_NEAR(r.idle, 0.8407, 0.0005);
  EXPECT_NEAR(r.idd, 0.1635, 0.0001);
  EXPECT_NEAR(r.r, 89.539, 0.001);
  EXPECT_NEAR(r.mos, 4.3275, 0.0005);
  EModelInput explicit_paths = in;
  explicit_paths.t_ms = 150;
  explicit_paths.tr_ms = 300;
  EXPECT_EQ(emodel(explicit_paths).r, r.r);
}

TEST(EModel, SidetoneExtremesChangeTheTalkerEcho) {
  // STMR 25 dB (> 20): Idtes = √(Idte² + Ist²); STMR 5 dB (< 9): TERVs = TERV + Ist/2. Both at
  // T = Ta = 100 ms, Tr = 200 ms: R 86.982 and 86.845 (by hand from §7.3, §7.4).
  EModelInput high;
  high.ta_ms = 100;
  high.stmr = 25;
  EXPECT_NEAR(emodel(high).idte, 3.1640, 0.0005);
  EXPECT_NEAR(emodel(high).r, 86.982, 0.001);
  EModelInput low = high;
  low.stmr = 5;
  EXPECT_NEAR(emodel(low).idte, 1.5902, 0.0005);
  EXPECT_NEAR(emodel(low).r, 86.845, 0.001);
}

TEST(EModel, MosCurveMeetsAnnexBsPointsAndItsClamps) {
  // Annex B, Table B.1 (MOS to two decimals) and the cubic itself.
  EXPECT_NEAR(mos_from_r(50), 2.575, 1e-9);   // 1 + 1.75 − 50 · 10 · 50 · 7e-6
  EXPECT_NEAR(mos_from_r(60), 3.1, 1e-9);     // 1 + 2.1 + 0
  EXPECT_NEAR(mos_from_r(70), 3.597, 1e-9);   // 1 + 2.45 + 70 · 10 · 30 · 7e-6
  EXPECT_NEAR(mos_from_r(80), 4.024, 1e-9);   // 1 + 2.8 + 80 · 20 · 20 · 7e-6
  EXPECT_NEAR(mos_from_r(90), 4.339, 1e-9);   // 1 + 3.15 + 90 · 30 · 10 · 7e-6
  EXPECT_EQ(mos_from_r(-5), 1.0);
  EXPECT_EQ(mos_from_r(0), 1.0);
  EXPECT_NEAR(mos_from_r(100), 4.5, 1e-12);
  EXPECT_EQ(mos_from_r(100.5), 4.5);
  EXPECT_EQ(mos_from_r(250), 4.5);
  // Poor quality: below R 70, "many users dissatisfied".
  EXPECT_NEAR(kPoorMos, 3.597, 1e-9);
  EXPECT_EQ(kManyUsersDissatisfiedR, 70.0);
  // Rising from R 6.5 on.
  for (double r = 7; r < 100; r += 0.5) EXPECT_LT(mos_from_r(r), mos_from_r(r + 0.5)) << r;
}

TEST(EModel, MoreDelayOrMoreLossNeverRatesBetter) {
  EModelInput in;
  in.set_codec(kG711Plc);
  double previous = emodel(in).r;
  for (double ta = 10; ta <= 600; ta += 10) {
    in.ta_ms = ta;
    const double r = emodel(in).r;
    EXPECT_LE(r, previous) << "Ta " << ta;
    previous = r;
  }
  EXPECT_LT(previous, 60.0) << "600 ms one way is poor";
  in.ta_ms = 60;
  previous = emodel(in).r;
  for (double ppl = 0.5; ppl <= 30; ppl += 0.5) {
    in.ppl = ppl;
    const double r = emodel(in).r;
    EXPECT_LT(r, previous) << "Ppl " << ppl;
    previous = r;
  }
  // Burstier loss at the same rate rates lower.
  in.ppl = 5;
  in.burst_r = 1;
  const double random = emodel(in).r;
  in.burst_r = 3;
  EXPECT_LT(emodel(in).r, random);
  // Garbage in: negative delays count as none.
  EModelInput negative;
  negative.ta_ms = -20;
  EXPECT_EQ(emodel(negative).r, emodel(EModelInput{}).r);
}

TEST(EModel, BurstRatioFromLossCounts) {
  EXPECT_EQ(burst_ratio(1000, 0, 0), 1.0);
  EXPECT_EQ(burst_ratio(0, 0, 0), 1.0);
  EXPECT_EQ(burst_ratio(10, 10, 1), 1.0);  // nothing received: no pattern to speak of
  // 20 lost in 5 runs of 4 among 1000: p = 5/980, q = 5/20: BurstR = 1 / 0.255102 = 3.92.
  EXPECT_NEAR(burst_ratio(1000, 20, 5), 3.92, 1e-9);
  // 2 % random loss has mean runs of 1 / 0.98 packets: 20 lost in 19.6 runs ≈ p 0.02, q 0.98.
  EXPECT_NEAR(burst_ratio(100000, 2000, 1960), 1.0, 1e-9);
  // Isolated losses sparser than random are taken as random.
  EXPECT_EQ(burst_ratio(1000, 10, 10), 1.0);
  // More runs than losses cannot be: at most one run per loss.
  EXPECT_EQ(burst_ratio(1000, 10, 50), burst_ratio(1000, 10, 10));
}

}  // namespace
}  // namespace resproxy::media::quality
