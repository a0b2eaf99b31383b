@secrets
Feature: Secrets and client keys
  Client API keys and platform secrets are kept in Vault, the platform's secret store. Only a
  client's own agents can read its keys, every read is logged, credentials expire and rotate,
  and no secret is written into the repository or copied out of a customer's cell.

  Background:
    Given the cell under audit

  @KZ-SEC-01 @SOC2-CC6.1 @SOC2-CC6.3 @ISO27001-A.5.15 @ISO27001-A.8.2 @ISO27001-A.8.3 @NIST-800-53-AC-3 @NIST-800-53-AC-6 @NIST-800-53-SC-12
  Scenario: A client's keys can be read only by that client's agents and the break-glass policy
    When its Vault policies and login roles are analysed
    Then only a client's own Vault policy, or the break-glass policy, can read or list that client's keys, and no login role gives a tenant's service accounts another client's policy or the break-glass policy

  @KZ-SEC-02 @SOC2-CC7.2 @SOC2-CC7.3 @ISO27001-A.8.15 @ISO27001-A.8.16 @NIST-800-53-AU-2 @NIST-800-53-AU-3 @NIST-800-53-AU-12
  Scenario: Vault records every request in an audit log
    When its Vault audit devices are analysed
    Then Vault has at least one audit device enabled that keeps its entries rather than discarding them

  @KZ-SEC-03 @SOC2-CC6.1 @ISO27001-A.5.17 @ISO27001-A.8.5 @ISO27001-A.8.24 @NIST-800-53-IA-5 @NIST-800-53-AC-12 @NIST-800-53-SC-12
  Scenario: Vault tokens are short-lived and Vault encryption keys rotate on schedule
    When its Vault login roles and encryption keys are analysed
    Then every Vault login role issues tokens whose lifetime and maximum lifetime are set and within the configured bounds, and every Vault encryption key rotates automatically within the configured period

  @KZ-SEC-04 @SOC2-CC6.1 @ISO27001-A.5.17 @ISO27001-A.8.4 @ISO27001-A.8.12 @NIST-800-53-IA-5(7) @NIST-800-53-SC-28 @CIS-5.4.1 @CIS-5.4.2
  Scenario: No secret value is committed to the repository
    When its Kubernetes manifests and Terraform files are analysed
    Then no Kubernetes Secret in them holds values, no setting named as a credential is set to a literal value, and no value has the form of a known private key, access key, API key or token

  @KZ-SEC-05 @SOC2-CC6.1 @SOC2-CC6.7 @SOC2-C1.1 @ISO27001-A.5.14 @ISO27001-A.8.12 @NIST-800-53-AC-4 @NIST-800-53-SC-7
  Scenario: Secrets never leave a customer-VPC cell
    When its secret pushes, secret syncs and Vault replication settings are analysed
    Then in a customer-VPC cell nothing pushes, syncs or replicates secrets to anywhere outside the cell
