package emr

import "time"

// Bounds on what one request may carry beyond the model's own constraints.
// The model bounds each string but not every list, so without these a
// request within the body limit could still ask for unbounded work later
// (a command line of millions of arguments, a configuration tree walked at
// every submission, a retry loop). Each is far above what a real job needs.
const (
	// MaxEntryPointArguments caps the number of entryPointArguments (the
	// model has no maximum; each is 1..10280 characters).
	MaxEntryPointArguments = 10000
	// MaxEntryPointArgumentBytes caps their total size in bytes: the
	// arguments become one command line (Linux allows 2 MiB in all) or a
	// Kubernetes object (etcd stores at most 1.5 MiB).
	MaxEntryPointArgumentBytes = 1 << 20
	// MaxConfigurations caps the Configuration objects of an
	// applicationConfiguration, counting nested ones (the model allows 100
	// per level, 100^depth in all).
	MaxConfigurations = 1000
	// MaxConfigurationBytes caps the total size of an applicationConfiguration's
	// classifications, property keys and values.
	MaxConfigurationBytes = 1 << 20
	// MaxResolvedTemplateBytes caps the strings of a job template's data
	// once its parameters are substituted: a template of many ${P} with
	// long values must not expand to hundreds of MiB before the
	// lengths of the result are checked.
	MaxResolvedTemplateBytes = 4 << 20
	// MinMaxAttempts and MaxMaxAttempts bound retryPolicyConfiguration.maxAttempts,
	// as EMR does.
	MinMaxAttempts = 1
	MaxMaxAttempts = 10
)

// Back-off between the attempts of a run with a retry policy, as the
// Kubernetes Job back-off EMR follows: RetryBackoffBase after the first
// failed attempt, doubling after each further one, at most RetryBackoffMax.
const (
	RetryBackoffBase = 10 * time.Second
	RetryBackoffMax  = 6 * time.Minute
)

// RetryBackoff is how long after attempt n (from 1) failed attempt n+1
// starts.
func RetryBackoff(n int) time.Duration {
	d := RetryBackoffBase
	for i := 1; i < n && d < RetryBackoffMax; i++ {
		d *= 2
	}
	return min(d, RetryBackoffMax)
}

// entryPointArguments checks the list bounds of a SparkSubmitJobDriver's
// entryPointArguments at field; the checker's jobDriver checks each one.
func (c *checker) entryPointArguments(field string, args []string) {
	c.count(field, len(args), MaxEntryPointArguments)
	total := 0
	for _, a := range args {
		total += len(a)
	}
	if total > MaxEntryPointArgumentBytes {
		c.fail(field, "Member must have a total length of at most %d bytes (it has %d)", MaxEntryPointArgumentBytes, total)
	}
}

// applicationConfiguration checks an applicationConfiguration at field:
// each Configuration against the model, then the bounds on the whole tree.
func (c *checker) applicationConfiguration(field string, cfgs []Configuration) {
	n, size := configurationSize(cfgs, 0)
	switch {
	case n > MaxConfigurations:
		c.fail(field, "Member must have at most %d configurations in all, nested ones included", MaxConfigurations)
		return // too many to check one by one
	case size > MaxConfigurationBytes:
		c.fail(field, "Member must have classifications, property keys and values of at most %d bytes in all (it has %d)", MaxConfigurationBytes, size)
	}
	c.configurations(field, cfgs, 0)
}

// configurationSize counts the configurations of cfgs, nested ones
// included, and the bytes of their classifications and properties; it
// stops counting past the bounds (and below the depth the model allows).
func configurationSize(cfgs []Configuration, depth int) (n, size int) {
	for _, cfg := range cfgs {
		n++
		size += len(cfg.Classification)
		for k, v := range cfg.Properties {
			size += len(k) + len(v)
		}
		if n > MaxConfigurations || depth > 8 {
			return n, size
		}
		cn, cs := configurationSize(cfg.Configurations, depth+1)
		n, size = n+cn, size+cs
	}
	return n, size
}

// retryPolicy checks retryPolicyConfiguration.
func (c *checker) retryPolicy(field string, p *RetryPolicyConfiguration) {
	if p != nil && (p.MaxAttempts < MinMaxAttempts || p.MaxAttempts > MaxMaxAttempts) {
		c.fail(field+".maxAttempts", "Member must have value between %d and %d", MinMaxAttempts, MaxMaxAttempts)
	}
}

// checkResolvedSize fails when the strings of a template's data, with
// values substituted for their placeholders, would pass
// MaxResolvedTemplateBytes.
func checkResolvedSize(size int, templateID string) error {
	if size > MaxResolvedTemplateBytes {
		return Validationf("1 validation error detected: Value at 'jobTemplateParameters' failed to satisfy constraint: "+
			"Job template %s with these parameters substituted would be %d bytes, more than %d", templateID, size, MaxResolvedTemplateBytes)
	}
	return nil
}
