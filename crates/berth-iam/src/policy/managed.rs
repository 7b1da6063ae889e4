//! The AWS managed policies users attach for ECR, built in under their AWS ARNs.

use std::sync::OnceLock;

use super::{Policy, PolicyKind};

/// A built-in managed policy.
pub struct Managed {
    pub name: &'static str,
    pub arn: &'static str,
    pub description: &'static str,
    pub document: &'static str,
}

pub const MANAGED: &[Managed] = &[
    Managed {
        name: "AmazonEC2ContainerRegistryFullAccess",
        arn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryFullAccess",
        description: "Provides administrative access to Amazon ECR resources",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["ecr:*", "cloudtrail:LookupEvents"],
      "Resource": "*"
    },
    {
      "Effect": "Allow",
      "Action": ["iam:CreateServiceLinkedRole"],
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "iam:AWSServiceName": ["replication.ecr.amazonaws.com"]
        }
      }
    }
  ]
}"#,
    },
    Managed {
        name: "AmazonEC2ContainerRegistryPowerUser",
        arn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser",
        description: "Provides full access to Amazon EC2 Container Registry repositories, but does not allow repository deletion or policy changes.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetRepositoryPolicy",
        "ecr:DescribeRepositories",
        "ecr:ListImages",
        "ecr:DescribeImages",
        "ecr:BatchGetImage",
        "ecr:GetLifecyclePolicy",
        "ecr:GetLifecyclePolicyPreview",
        "ecr:ListTagsForResource",
        "ecr:DescribeImageScanFindings",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage"
      ],
      "Resource": "*"
    }
  ]
}"#,
    },
    Managed {
        name: "AmazonEC2ContainerRegistryReadOnly",
        arn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        description: "Provides read-only access to Amazon EC2 Container Registry repositories.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetRepositoryPolicy",
        "ecr:DescribeRepositories",
        "ecr:ListImages",
        "ecr:DescribeImages",
        "ecr:BatchGetImage",
        "ecr:GetLifecyclePolicy",
        "ecr:GetLifecyclePolicyPreview",
        "ecr:ListTagsForResource",
        "ecr:DescribeImageScanFindings"
      ],
      "Resource": "*"
    }
  ]
}"#,
    },
    Managed {
        name: "AmazonEC2ContainerRegistryPullOnly",
        arn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        description: "Provides permissions to pull images from Amazon ECR.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage"
      ],
      "Resource": "*"
    }
  ]
}"#,
    },
    Managed {
        name: "AdministratorAccess",
        arn: "arn:aws:iam::aws:policy/AdministratorAccess",
        description: "Provides full access to AWS services and resources.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [{ "Effect": "Allow", "Action": "*", "Resource": "*" }]
}"#,
    },
    Managed {
        name: "IAMFullAccess",
        arn: "arn:aws:iam::aws:policy/IAMFullAccess",
        description: "Provides full access to IAM via the AWS Management Console.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [{ "Effect": "Allow", "Action": "iam:*", "Resource": "*" }]
}"#,
    },
];

/// The built-in policy with this ARN.
pub fn find(arn: &str) -> Option<&'static Managed> {
    MANAGED.iter().find(|m| m.arn == arn)
}

/// The parsed form of a built-in policy (parsed once).
pub fn policy(arn: &str) -> Option<&'static Policy> {
    static PARSED: OnceLock<Vec<Option<Policy>>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        MANAGED
            .iter()
            .map(|m| Policy::parse(m.document, PolicyKind::Identity).ok())
            .collect()
    });
    let i = MANAGED.iter().position(|m| m.arn == arn)?;
    parsed.get(i)?.as_ref()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_built_in_policy_parses() {
        for m in super::MANAGED {
            assert!(super::policy(m.arn).is_some(), "{} does not parse", m.name);
        }
    }
}
