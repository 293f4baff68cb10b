/*
** mkt.c: mean kinetic temperature (USP <1160>; Haynes 1971).
**
**   T_MKT = (dH/R) / -ln( sum(w_i * exp(-dH / (R * T_i))) / sum(w_i) )
**
** T in kelvin, dH the activation energy (default 83.144 kJ/mol, "unless more
** accurate information is available"), R = 8.3144e-3 kJ/(mol K). Weights are
** the time each reading stands for; equal weights give the equal-interval
** form. An accumulator so that MKT can be kept over a window as readings
** arrive.
*/
#include "telemetry/telemetry.h"

#include <math.h>

void tm_mkt_init(struct tm_mkt_acc *m, double dh_kj_mol)
{
    m->dh_kj_mol = dh_kj_mol > 0 ? dh_kj_mol : TM_MKT_DH_DEFAULT_KJ_MOL;
    m->sum_w = 0;
    m->sum = 0;
}

void tm_mkt_add(struct tm_mkt_acc *m, double temp_c, double w)
{
    if (!(w > 0) || !isfinite(temp_c))
        return;
    double tk = temp_c + 273.15;
    m->sum += w * exp(-m->dh_kj_mol / (TM_GAS_R_KJ_MOL_K * tk));
    m->sum_w += w;
}

int tm_mkt_result(const struct tm_mkt_acc *m, double *out_c)
{
    if (!(m->sum_w > 0) || !(m->sum > 0))
        return ERR_INVAL;
    double x = m->sum / m->sum_w;
    *out_c = (m->dh_kj_mol / TM_GAS_R_KJ_MOL_K) / -log(x) - 273.15;
    return 0;
}

int tm_mkt_series(const int64_t *ts_ms, const double *temp_c, size_t n, double dh_kj_mol,
                  double *out_c)
{
    if (n == 0)
        return ERR_INVAL;
    struct tm_mkt_acc m;
    tm_mkt_init(&m, dh_kj_mol);
    if (n == 1) {
        tm_mkt_add(&m, temp_c[0], 1);
        return tm_mkt_result(&m, out_c);
    }
    double mean_dt = (double)(ts_ms[n - 1] - ts_ms[0]) / (double)(n - 1);
    if (!(mean_dt > 0))
        mean_dt = 1;
    for (size_t i = 0; i < n; i++) {
        double dt = i + 1 < n ? (double)(ts_ms[i + 1] - ts_ms[i]) : mean_dt;
        tm_mkt_add(&m, temp_c[i], dt / 1000.0);
    }
    return tm_mkt_result(&m, out_c);
}
