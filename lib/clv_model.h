/* Shared by the CLV entry points: model checks and one customer's value. */
#ifndef RFM_CLV_MODEL_H
#define RFM_CLV_MODEL_H

#include "clv.h"
#include "sized.h"

/* 1 when a (possibly hand-filled) model can be used for predictions. */
/* Most discount periods in a horizon (bounds the work per customer). */
#define RFM__CLV_MAX_PERIODS 100000.0

int rfm__clv_model_ok(const rfm_clv_model *m);

/* Fills the predictive fields of *v for a summary in model units; spend
 * falls back to fallback_spend without a usable Gamma-Gamma part. */
void rfm__clv_value(const rfm_clv_model *m, double x, double t_x, double T, double mean,
                    double fallback_spend, rfm_clv_value *v);

#endif
