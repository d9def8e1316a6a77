package emr

// CreateVirtualClusterRequest is the body of CreateVirtualCluster.
type CreateVirtualClusterRequest struct {
	Name                    string                  `json:"name"`
	ContainerProvider       *ContainerProvider      `json:"containerProvider"`
	ClientToken             string                  `json:"clientToken"`
	Tags                    map[string]string       `json:"tags"`
	SecurityConfigurationID string                  `json:"securityConfigurationId"`
	SchedulerConfiguration  *SchedulerConfiguration `json:"schedulerConfiguration"`
}

// UpdateVirtualClusterRequest is the body of UpdateVirtualCluster: the new
// scheduler configuration replaces the old one whole; an absent one removes
// every limit.
type UpdateVirtualClusterRequest struct {
	ClientToken            string                  `json:"clientToken"`
	SchedulerConfiguration *SchedulerConfiguration `json:"schedulerConfiguration"`
}

// Validate checks the request against the constraints of the model.
func (r *UpdateVirtualClusterRequest) Validate() error {
	var c checker
	c.clientToken(r.ClientToken)
	c.scheduler("schedulerConfiguration", r.SchedulerConfiguration)
	return c.err()
}

func (c *checker) scheduler(field string, s *SchedulerConfiguration) {
	if s == nil {
		return
	}
	if n := s.MaxConcurrentJobRuns; n != nil && (*n < 1 || *n > 10000) {
		c.fail(field+".maxConcurrentJobRuns", "Member must have value between 1 and 10000")
	}
	if n := s.MaxInQueueJobRuns; n != nil && (*n < 100 || *n > 10000) {
		c.fail(field+".maxInQueueJobRuns", "Member must have value between 100 and 10000")
	}
}

// Validate checks the request against the constraints of the model.
func (r *CreateVirtualClusterRequest) Validate() error {
	var c checker
	if c.required("name", r.Name != "") {
		c.str("name", r.Name, 1, 64, patResourceName)
	}
	c.clientToken(r.ClientToken)
	c.tags("tags", r.Tags)
	c.scheduler("schedulerConfiguration", r.SchedulerConfiguration)
	if r.SecurityConfigurationID != "" {
		c.str("securityConfigurationId", r.SecurityConfigurationID, 1, 64, patResourceID)
	}
	if p := r.ContainerProvider; c.required("containerProvider", p != nil) {
		if c.required("containerProvider.type", p.Type != "") && p.Type != ContainerProviderEKS {
			c.fail("containerProvider.type", "Member must satisfy enum value set: [EKS]")
		}
		if c.required("containerProvider.id", p.ID != "") {
			c.str("containerProvider.id", p.ID, 1, 100, patClusterID)
		}
		if c.required("containerProvider.info.eksInfo.namespace", p.Namespace() != "") {
			c.str("containerProvider.info.eksInfo.namespace", p.Namespace(), 1, 63, patNamespace)
		}
		if p.Info != nil && p.Info.EKSInfo != nil && p.Info.EKSInfo.NodeLabel != "" {
			c.str("containerProvider.info.eksInfo.nodeLabel", p.Info.EKSInfo.NodeLabel, 1, 64, patNodeLabel)
		}
	}
	return c.err()
}

// StartJobRunRequest is the body of StartJobRun.
type StartJobRunRequest struct {
	Name                     string                    `json:"name"`
	ClientToken              string                    `json:"clientToken"`
	ExecutionRoleARN         string                    `json:"executionRoleArn"`
	ReleaseLabel             string                    `json:"releaseLabel"`
	JobDriver                *JobDriver                `json:"jobDriver"`
	ConfigurationOverrides   *ConfigurationOverrides   `json:"configurationOverrides"`
	Tags                     map[string]string         `json:"tags"`
	JobTemplateID            string                    `json:"jobTemplateId"`
	JobTemplateParameters    map[string]string         `json:"jobTemplateParameters"`
	RetryPolicyConfiguration *RetryPolicyConfiguration `json:"retryPolicyConfiguration"`
}

// Validate checks the request against the constraints of the model. Without a
// job template, executionRoleArn, releaseLabel and jobDriver are required;
// with one, they must be absent (the template supplies them) and
// jobTemplateParameters may be given.
func (r *StartJobRunRequest) Validate() error {
	var c checker
	if r.Name != "" {
		c.str("name", r.Name, 1, 64, patResourceName)
	}
	c.clientToken(r.ClientToken)
	c.tags("tags", r.Tags)
	c.templateParameters("jobTemplateParameters", r.JobTemplateParameters)
	if r.JobTemplateID != "" {
		c.str("jobTemplateId", r.JobTemplateID, 1, 64, patResourceID)
		// The template is authoritative for these (see JobTemplate.Resolve).
		for _, f := range []struct {
			name string
			set  bool
		}{{"executionRoleArn", r.ExecutionRoleARN != ""}, {"releaseLabel", r.ReleaseLabel != ""}, {"jobDriver", r.JobDriver != nil}} {
			if f.set {
				c.fail(f.name, "Member must not be set together with jobTemplateId: the job template supplies it")
			}
		}
	} else {
		if len(r.JobTemplateParameters) > 0 {
			c.fail("jobTemplateParameters", "Member must not be set without jobTemplateId")
		}
		if c.required("executionRoleArn", r.ExecutionRoleARN != "") {
			c.str("executionRoleArn", r.ExecutionRoleARN, 20, 2048, patIAMRoleARN)
		}
		if c.required("releaseLabel", r.ReleaseLabel != "") {
			c.str("releaseLabel", r.ReleaseLabel, 1, 64, patReleaseLabel)
		}
		c.jobDriver("jobDriver", r.JobDriver)
	}
	if o := r.ConfigurationOverrides; o != nil {
		c.applicationConfiguration("configurationOverrides.applicationConfiguration", o.ApplicationConfiguration)
		c.monitoring("configurationOverrides.monitoringConfiguration", o.MonitoringConfiguration)
	}
	c.retryPolicy("retryPolicyConfiguration", r.RetryPolicyConfiguration)
	return c.err()
}
