//! Prometheus metrics both servers expose at `/metrics`, with `prometheus-client`: the live
//! counters and histograms a server keeps in a [`Registry`], and figures read at scrape time
//! (a rig's state, a pool's connections) written as families through [`Families`]. The body is
//! the Prometheus text format 0.0.4, which `promtool check metrics` reads.

use actix_web::HttpResponse;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::fmt;

/// Labels as name–value pairs, the shape every family here uses.
pub type Labels = Vec<(&'static str, String)>;

/// The `/metrics` answer: `registry` encoded, or a 500 naming the failure.
pub fn exposition(registry: &Registry) -> HttpResponse {
    let mut body = String::with_capacity(16 * 1024);
    match prometheus_client::encoding::prometheus_text::encode(&mut body, registry) {
        Ok(()) => HttpResponse::Ok()
            .content_type(prometheus_client::encoding::prometheus_text::CONTENT_TYPE)
            .insert_header(("Cache-Control", "no-store"))
            .body(body),
        Err(e) => {
            log::error!("metrics: encoding failed: {e}");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// A histogram read at scrape time, as the encoder takes it: counts per bucket, and the sum of
/// what was observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    /// `(upper bound, observations above the bound before it and at or below this one)`, bounds
    /// ascending and the last `+Inf`, so that every observation is in one bucket.
    pub per_bucket: Vec<(f64, u64)>,
    /// Their sum.
    pub sum: f64,
}

impl Buckets {
    /// Every observation.
    pub fn count(&self) -> u64 {
        self.per_bucket.iter().map(|(_, n)| n).sum()
    }
}

/// Writes families of figures read at scrape time into a collector's encoder.
pub struct Families<'e, 'a> {
    encoder: &'e mut DescriptorEncoder<'a>,
}

impl<'e, 'a> Families<'e, 'a> {
    /// Write into `encoder` (a [`prometheus_client::collector::Collector`]'s).
    pub fn new(encoder: &'e mut DescriptorEncoder<'a>) -> Self {
        Self { encoder }
    }

    /// One unlabelled gauge.
    pub fn gauge(&mut self, name: &str, help: &str, value: f64) -> fmt::Result {
        let m = ConstGauge::new(value);
        m.encode(
            self.encoder
                .encode_descriptor(name, help, None, MetricType::Gauge)?,
        )
    }

    /// One unlabelled counter (a total that only grows while the process lives).
    pub fn counter(&mut self, name: &str, help: &str, value: u64) -> fmt::Result {
        let m = ConstCounter::new(value);
        m.encode(
            self.encoder
                .encode_descriptor(name, help, None, MetricType::Counter)?,
        )
    }

    /// A gauge family, one series per label set.
    pub fn gauges(&mut self, name: &str, help: &str, rows: &[(Labels, f64)]) -> fmt::Result {
        let mut family = self
            .encoder
            .encode_descriptor(name, help, None, MetricType::Gauge)?;
        for (labels, value) in rows {
            family.encode_family(labels)?.encode_gauge(value)?;
        }
        Ok(())
    }

    /// A counter family, one series per label set.
    pub fn counters(&mut self, name: &str, help: &str, rows: &[(Labels, u64)]) -> fmt::Result {
        let mut family = self
            .encoder
            .encode_descriptor(name, help, None, MetricType::Counter)?;
        for (labels, value) in rows {
            family
                .encode_family(labels)?
                .encode_counter::<NoLabelSet, _, f64>(value, None)?;
        }
        Ok(())
    }

    /// A histogram family, one series per label set.
    pub fn histograms(
        &mut self,
        name: &str,
        help: &str,
        rows: &[(Labels, Buckets)],
    ) -> fmt::Result {
        let mut family = self
            .encoder
            .encode_descriptor(name, help, None, MetricType::Histogram)?;
        for (labels, b) in rows {
            family
                .encode_family(labels)?
                .encode_histogram::<NoLabelSet>(b.sum, b.count(), &b.per_bucket, None)?;
        }
        Ok(())
    }
}

/// Label sets as pairs encode as Prometheus labels.
pub fn labels(pairs: &[(&'static str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::collector::Collector;

    #[derive(Debug)]
    struct Sample;

    impl Collector for Sample {
        fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
            let mut f = Families::new(&mut encoder);
            f.gauge("up", "Whether it runs.", 1.0)?;
            f.histograms(
                "took_seconds",
                "How long it took.",
                &[(
                    labels(&[("phase", "total")]),
                    Buckets {
                        per_bucket: vec![(0.001, 2), (0.01, 3), (f64::INFINITY, 1)],
                        sum: 0.05,
                    },
                )],
            )
        }
    }

    #[test]
    fn per_bucket_counts_come_out_cumulative() {
        let mut registry = Registry::with_prefix("t");
        registry.register_collector(Box::new(Sample));
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &registry).expect("text");
        assert!(text.contains("t_up 1"), "{text}");
        assert!(
            text.contains(r#"t_took_seconds_bucket{le="0.001",phase="total"} 2"#)
                || text.contains(r#"t_took_seconds_bucket{phase="total",le="0.001"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"le="0.01""#) && text.contains("} 5"),
            "{text}"
        );
        assert!(
            text.contains(r#"le="+Inf""#) && text.contains("} 6"),
            "{text}"
        );
        assert!(
            text.contains("t_took_seconds_count{phase=\"total\"} 6"),
            "{text}"
        );
    }
}
