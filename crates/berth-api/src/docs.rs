//! `docs/operations.md`, generated from every service's operation list (above the services).

/// `(name, built)` of every operation in a service's list.
macro_rules! listed {
    ($Enum:ty) => {
        <$Enum>::ALL
            .iter()
            .map(|o| (o.name(), o.built()))
            .collect::<Vec<(&str, bool)>>()
    };
}

/// `docs/operations.md`: every service's table.
pub fn document() -> String {
    let services = [
        (
            "ECR",
            "AWS JSON 1.1, `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Operation>`",
            listed!(crate::ecr::Operation),
        ),
        (
            "ECR Public",
            "AWS JSON 1.1, `X-Amz-Target: SpencerFrontendService.<Operation>`",
            listed!(crate::ecr_public::Operation),
        ),
        (
            "Secrets Manager",
            "AWS JSON 1.1, `X-Amz-Target: secretsmanager.<Operation>`",
            listed!(crate::secretsmanager::Operation),
        ),
        (
            "IAM",
            "Query, `Action=<Operation>&Version=2010-05-08`",
            listed!(crate::iam::Operation),
        ),
        (
            "STS",
            "Query, `Action=<Operation>&Version=2011-06-15`",
            listed!(crate::sts::Operation),
        ),
    ];
    let mut out = String::from(
        "# The operations Berth serves\n\n\
         Generated from the typed operation lists in `crates/berth-api` (the test \
         `docs::tests::document_is_current` checks it; `BERTH_BLESS=1 cargo test -p \
         berth-api document_is_current` rewrites it). Each list is every operation of the \
         service's current botocore model (`e2e/test_operations.py` checks that); an operation \
         not built yet answers an error naming it.\n",
    );
    for (service, protocol, ops) in services {
        let served = ops.iter().filter(|(_, b)| *b).count();
        out.push_str(&format!(
            "\n## {service}: {served} of {} served\n\n{protocol}\n\n{}",
            ops.len(),
            crate::operations::readme_table(service, &ops)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn document_is_current() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/operations.md");
        let want = super::document();
        if std::env::var("BERTH_BLESS").as_deref() == Ok("1") {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/operations.md is out of date: BERTH_BLESS=1 cargo test -p berth-api document_is_current"
        );
    }
}
