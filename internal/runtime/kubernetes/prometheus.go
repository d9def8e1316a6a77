package kubernetes

// prometheusDefaults expose every Kubernetes run's Spark metrics to
// Prometheus, as EMR on EKS users ask for them through spark-defaults: the
// driver's UI serves its executors' metrics at
// /metrics/executors/prometheus/ (spark.ui.prometheus.enabled) and its own
// at /metrics/prometheus/ (the PrometheusServlet sink), and the driver pod
// carries the prometheus.io annotations a Prometheus' kubernetes_sd pod
// scrape job keys on. They sit under the server's and the run's Spark
// properties: spark.ui.prometheus.enabled=false, or the annotations set
// otherwise, in either turns them off.
var prometheusDefaults = map[string]string{
	"spark.ui.prometheus.enabled":                             "true",
	"spark.metrics.conf.*.sink.prometheusServlet.class":       "org.apache.spark.metrics.sink.PrometheusServlet",
	"spark.metrics.conf.*.sink.prometheusServlet.path":        "/metrics/prometheus",
	"spark.kubernetes.driver.annotation.prometheus.io/scrape": "true",
	"spark.kubernetes.driver.annotation.prometheus.io/path":   "/metrics/executors/prometheus/",
	"spark.kubernetes.driver.annotation.prometheus.io/port":   "4040",
}
