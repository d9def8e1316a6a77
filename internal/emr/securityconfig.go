package emr

import (
	"regexp"
	"time"
)

// SecurityConfiguration holds the authorization (Lake Formation,
// in-transit encryption) and authentication (IAM Identity Center, IAM)
// settings that virtual clusters refer to by id. sparkplane stores and
// returns them; its runtimes do not enforce them yet.
type SecurityConfiguration struct {
	ID                        string                     `json:"id"`
	Name                      string                     `json:"name"`
	ARN                       string                     `json:"arn"`
	CreatedAt                 time.Time                  `json:"createdAt"`
	CreatedBy                 string                     `json:"createdBy,omitempty"`
	SecurityConfigurationData *SecurityConfigurationData `json:"securityConfigurationData,omitempty"`
	Tags                      map[string]string          `json:"tags,omitempty"`
	// ContainerProvider is accepted at creation and kept, but is no member
	// of the model's SecurityConfiguration output.
	ContainerProvider *ContainerProvider `json:"-"`
}

// SecurityConfigurationData is the content of a security configuration.
type SecurityConfigurationData struct {
	AuthorizationConfiguration  *AuthorizationConfiguration  `json:"authorizationConfiguration,omitempty"`
	AuthenticationConfiguration *AuthenticationConfiguration `json:"authenticationConfiguration,omitempty"`
}

// AuthorizationConfiguration: Lake Formation and encryption settings.
type AuthorizationConfiguration struct {
	LakeFormationConfiguration *LakeFormationConfiguration `json:"lakeFormationConfiguration,omitempty"`
	EncryptionConfiguration    *EncryptionConfiguration    `json:"encryptionConfiguration,omitempty"`
}

// LakeFormationConfiguration: how jobs reach Lake Formation.
type LakeFormationConfiguration struct {
	AuthorizedSessionTagValue string               `json:"authorizedSessionTagValue,omitempty"`
	SecureNamespaceInfo       *SecureNamespaceInfo `json:"secureNamespaceInfo,omitempty"`
	QueryEngineRoleARN        string               `json:"queryEngineRoleArn,omitempty"`
}

// SecureNamespaceInfo names the namespace system jobs run in.
type SecureNamespaceInfo struct {
	ClusterID string `json:"clusterId,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// EncryptionConfiguration: in-transit encryption.
type EncryptionConfiguration struct {
	InTransitEncryptionConfiguration *InTransitEncryptionConfiguration `json:"inTransitEncryptionConfiguration,omitempty"`
}

// InTransitEncryptionConfiguration: the TLS certificates to use.
type InTransitEncryptionConfiguration struct {
	TLSCertificateConfiguration *TLSCertificateConfiguration `json:"tlsCertificateConfiguration,omitempty"`
}

// TLSCertificateConfiguration names certificates in Secrets Manager.
type TLSCertificateConfiguration struct {
	CertificateProviderType     string `json:"certificateProviderType,omitempty"`
	PublicCertificateSecretARN  string `json:"publicCertificateSecretArn,omitempty"`
	PrivateCertificateSecretARN string `json:"privateCertificateSecretArn,omitempty"`
}

// AuthenticationConfiguration: IAM Identity Center and IAM settings.
type AuthenticationConfiguration struct {
	IdentityCenterConfiguration *IdentityCenterConfiguration `json:"identityCenterConfiguration,omitempty"`
	IAMConfiguration            *IAMConfiguration            `json:"iamConfiguration,omitempty"`
}

// IdentityCenterConfiguration: trusted identity propagation.
type IdentityCenterConfiguration struct {
	EnableIdentityCenter                        *bool  `json:"enableIdentityCenter,omitempty"`
	IdentityCenterApplicationAssignmentRequired *bool  `json:"identityCenterApplicationAssignmentRequired,omitempty"`
	IdentityCenterInstanceARN                   string `json:"identityCenterInstanceARN,omitempty"`
	EmrIdentityCenterApplicationARN             string `json:"emrIdentityCenterApplicationARN,omitempty"`
}

// IAMConfiguration names the system role.
type IAMConfiguration struct {
	SystemRole string `json:"systemRole,omitempty"`
}

// CreateSecurityConfigurationRequest is the body of CreateSecurityConfiguration.
type CreateSecurityConfigurationRequest struct {
	ClientToken               string                     `json:"clientToken"`
	Name                      string                     `json:"name"`
	ContainerProvider         *ContainerProvider         `json:"containerProvider"`
	SecurityConfigurationData *SecurityConfigurationData `json:"securityConfigurationData"`
	Tags                      map[string]string          `json:"tags"`
}

var (
	patSessionTagValue = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9 ]+$`)
	patSecretsARN      = regexp.MustCompile(`^arn:(aws[a-zA-Z0-9-]*):secretsmanager:.+:(\d{12}):secret:[0-9a-zA-Z/_+=.@-]+$`)
	patSSOInstanceARN  = regexp.MustCompile(`^arn:(aws[a-zA-Z0-9-]*):sso:::instance/ssoins-[0-9a-zA-Z/\-_]+$`)
	patSSOAppARN       = regexp.MustCompile(`^arn:(aws[a-zA-Z0-9-]*):sso:::application/ssoins-[0-9a-zA-Z/\-_]+/apl-[0-9a-zA-Z/\-_]+$`)
)

// Validate checks the request against every constraint of the model.
func (r *CreateSecurityConfigurationRequest) Validate() error {
	var c checker
	c.clientToken(r.ClientToken)
	if c.required("name", r.Name != "") {
		c.str("name", r.Name, 1, 64, patResourceName)
	}
	c.tags("tags", r.Tags)
	if p := r.ContainerProvider; p != nil {
		c.containerProvider("containerProvider", p)
	}
	if d := r.SecurityConfigurationData; c.required("securityConfigurationData", d != nil) {
		c.authorization("securityConfigurationData.authorizationConfiguration", d.AuthorizationConfiguration)
		c.authentication("securityConfigurationData.authenticationConfiguration", d.AuthenticationConfiguration)
	}
	return c.err()
}

// containerProvider checks a ContainerProvider whose info is optional.
func (c *checker) containerProvider(field string, p *ContainerProvider) {
	if c.required(field+".type", p.Type != "") && p.Type != ContainerProviderEKS {
		c.fail(field+".type", "Member must satisfy enum value set: [EKS]")
	}
	if c.required(field+".id", p.ID != "") {
		c.str(field+".id", p.ID, 1, 100, patClusterID)
	}
	if p.Info != nil && p.Info.EKSInfo != nil {
		if ns := p.Info.EKSInfo.Namespace; ns != "" {
			c.str(field+".info.eksInfo.namespace", ns, 1, 63, patNamespace)
		}
		if nl := p.Info.EKSInfo.NodeLabel; nl != "" {
			c.str(field+".info.eksInfo.nodeLabel", nl, 1, 64, patNodeLabel)
		}
	}
}

func (c *checker) authorization(field string, a *AuthorizationConfiguration) {
	if a == nil {
		return
	}
	if lf := a.LakeFormationConfiguration; lf != nil {
		f := field + ".lakeFormationConfiguration"
		if lf.AuthorizedSessionTagValue != "" {
			c.str(f+".authorizedSessionTagValue", lf.AuthorizedSessionTagValue, 1, 512, patSessionTagValue)
		}
		if ns := lf.SecureNamespaceInfo; ns != nil {
			if ns.ClusterID != "" {
				c.str(f+".secureNamespaceInfo.clusterId", ns.ClusterID, 1, 100, patClusterID)
			}
			if ns.Namespace != "" {
				c.str(f+".secureNamespaceInfo.namespace", ns.Namespace, 1, 63, patNamespace)
			}
		}
		if lf.QueryEngineRoleARN != "" {
			c.str(f+".queryEngineRoleArn", lf.QueryEngineRoleARN, 20, 2048, patIAMRoleARN)
		}
	}
	if e := a.EncryptionConfiguration; e != nil && e.InTransitEncryptionConfiguration != nil {
		if tls := e.InTransitEncryptionConfiguration.TLSCertificateConfiguration; tls != nil {
			f := field + ".encryptionConfiguration.inTransitEncryptionConfiguration.tlsCertificateConfiguration"
			if tls.CertificateProviderType != "" && tls.CertificateProviderType != "PEM" {
				c.fail(f+".certificateProviderType", "Member must satisfy enum value set: [PEM]")
			}
			if tls.PublicCertificateSecretARN != "" {
				c.str(f+".publicCertificateSecretArn", tls.PublicCertificateSecretARN, 3, 2048, patSecretsARN)
			}
			if tls.PrivateCertificateSecretARN != "" {
				c.str(f+".privateCertificateSecretArn", tls.PrivateCertificateSecretARN, 3, 2048, patSecretsARN)
			}
		}
	}
}

func (c *checker) authentication(field string, a *AuthenticationConfiguration) {
	if a == nil {
		return
	}
	if ic := a.IdentityCenterConfiguration; ic != nil {
		f := field + ".identityCenterConfiguration"
		if ic.IdentityCenterInstanceARN != "" {
			c.str(f+".identityCenterInstanceARN", ic.IdentityCenterInstanceARN, 10, 1224, patSSOInstanceARN)
		}
		if ic.EmrIdentityCenterApplicationARN != "" {
			c.str(f+".emrIdentityCenterApplicationARN", ic.EmrIdentityCenterApplicationARN, 1, 2048, patSSOAppARN)
		}
	}
	if iam := a.IAMConfiguration; iam != nil && iam.SystemRole != "" {
		c.str(field+".iamConfiguration.systemRole", iam.SystemRole, 20, 2048, patIAMRoleARN)
	}
}
