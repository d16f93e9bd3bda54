#include "proxy/media/quality/emodel.h"

#include <algorithm>
#include <cmath>

namespace resproxy::media::quality {

namespace {

// 10^(x/10): a level in dB as a power ratio.
double power_of(double db) { return std::pow(10.0, db / 10.0); }

// (1 + x^n)^(1/n): G.107's smooth maximum of 1 and x, used throughout §7.3 and §7.4.
double smooth(double x, double n) { return std::pow(1.0 + std::pow(x, n), 1.0 / n); }

double non_negative(double v) { return std::isfinite(v) ? std::max(0.0, v) : 0.0; }

}  // namespace

double delay_impairment(double ta_ms, double st, double mt_ms) {
  ta_ms = non_negative(ta_ms);
  if (mt_ms <= 0 || ta_ms <= mt_ms) return 0.0;
  // X = log2(Ta / mT); the exponent 6 sT sets how sharply the impairment sets in.
  const double x = std::log10(ta_ms / mt_ms) / std::log10(2.0);
  const double n = 6.0 * st;
  return 25.0 * (smooth(x, n) - 3.0 * smooth(x / 3.0, n) + 2.0);
}

double effective_equipment_impairment(double ie, double bpl, double ppl, double burst_r) {
  ppl = std::isfinite(ppl) ? std::clamp(ppl, 0.0, 100.0) : 0.0;
  burst_r = std::isfinite(burst_r) ? std::max(1.0, burst_r) : 1.0;
  const double denominator = ppl / burst_r + bpl;
  if (denominator <= 0) return ie;  // no loss and a codec said to have no robustness at all
  return ie + (95.0 - ie) * ppl / denominator;
}

double burst_ratio(std::uint64_t expected, std::uint64_t lost, std::uint64_t bursts) {
  if (lost == 0 || bursts == 0 || lost >= expected) return 1.0;
  bursts = std::min(bursts, lost);  // a burst holds at least one loss
  const double received = static_cast<double>(expected - lost);
  const double p = std::min(1.0, static_cast<double>(bursts) / received);
  const double q = static_cast<double>(bursts) / static_cast<double>(lost);
  return std::max(1.0, 1.0 / (p + q));
}

EModelResult emodel(const EModelInput& in) {
  EModelResult out;
  // §7.2 Basic signal-to-noise ratio.
  const double olr = in.slr + in.rlr;
  const double pre = in.pr + 10.0 * std::log10(1.0 + power_of(10.0 - in.lstr));  // room noise at the ear
  const double nor = in.rlr - 121.0 + pre + 0.008 * (pre - 35.0) * (pre - 35.0);
  const double nos = in.ps - in.slr - in.ds - 100.0 + 0.004 * (in.ps - olr - in.ds - 14.0) * (in.ps - olr - in.ds - 14.0);
  const double nfo = in.nfor + in.rlr;
  const double no = 10.0 * std::log10(power_of(in.nc) + power_of(nos) + power_of(nor) + power_of(nfo));
  out.ro = 15.0 - 1.5 * (in.slr + no);

  // Delays: T and Tr follow Ta unless given.
  const double ta = non_negative(in.ta_ms);
  const double t = non_negative(in.t_ms.value_or(ta));
  const double tr = non_negative(in.tr_ms.value_or(2.0 * t));

  // §7.3 Simultaneous impairments.
  const double xolr = olr + 0.2 * (64.0 + no - in.rlr);
  const double iolr = 20.0 * (smooth(xolr / 8.0, 8.0) - xolr / 8.0);
  // Sidetone, with the talker echo of a short echo path heard as sidetone.
  const double stmro = -10.0 * std::log10(power_of(-in.stmr) + std::exp(-t / 4.0) * power_of(-in.telr));
  const double ist = 12.0 * smooth((stmro - 13.0) / 6.0, 8.0) - 28.0 * smooth((stmro + 1.0) / 19.4, 35.0) -
                     13.0 * smooth((stmro - 3.0) / 33.0, 13.0) + 29.0;
  const double q = 37.0 - 15.0 * std::log10(std::max(1.0, in.qdu));
  const double g = 1.07 + 0.258 * q + 0.0602 * q * q;
  const double y = (out.ro - 100.0) / 15.0 + 46.0 / 8.4 - g / 9.0;
  const double z = 46.0 / 30.0 - g / 40.0;
  const double iq = 15.0 * std::log10(1.0 + std::pow(10.0, y) + std::pow(10.0, z));
  out.is = iolr + ist + iq;

  // §7.4 Delay impairments. Talker echo: with a low sidetone (STMR < 9 dB) the echo is more
  // audible (TERVs); with a high one (STMR > 20 dB) missing sidetone and echo add (Idtes).
  double terv = in.telr - 40.0 * std::log10((1.0 + t / 10.0) / (1.0 + t / 150.0)) + 6.0 * std::exp(-0.3 * t * t);
  if (in.stmr < 9.0) terv += ist / 2.0;
  const double roe = -1.5 * (no - in.rlr);
  const double re = 80.0 + 2.5 * (terv - 14.0);
  out.idte = ((roe - re) / 2.0 + std::sqrt((roe - re) * (roe - re) / 4.0 + 100.0) - 1.0) * (1.0 - std::exp(-t));
  if (in.stmr > 20.0) out.idte = std::sqrt(out.idte * out.idte + ist * ist);
  // Listener echo.
  const double rle = 10.5 * (in.wepl + 7.0) * std::pow(tr + 1.0, -0.25);
  out.idle = (out.ro - rle) / 2.0 + std::sqrt((out.ro - rle) * (out.ro - rle) / 4.0 + 169.0);
  out.idd = delay_impairment(ta, in.st, in.mt_ms);
  out.id = out.idte + out.idle + out.idd;

  // §7.5 Equipment impairment under packet loss.
  out.ie_eff = effective_equipment_impairment(in.ie, in.bpl, in.ppl, in.burst_r);

  out.r = out.ro - out.is - out.id - out.ie_eff + in.a;
  out.mos = mos_from_r(out.r);
  return out;
}

}  // namespace resproxy::media::quality
