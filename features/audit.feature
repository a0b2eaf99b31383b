@audit
Feature: Audit trail and observability
  Every cell keeps a record of what happened in it that nobody can rewrite and that the client
  can export, and watches itself with its own monitoring. Alerts, logs and traces do not carry
  client data out of a customer's network unless the client has agreed.

  Background:
    Given the cell under audit

  @KZ-AUD-01 @SOC2-CC7.2 @SOC2-CC4.1 @ISO27001-A.8.15 @ISO27001-A.5.28 @NIST-800-53-AU-2 @NIST-800-53-AU-9 @NIST-800-53-AU-11 @NIST-800-53-AU-12 @CIS-3.2.1
  Scenario: The cluster's audit log is on and kept where nobody can alter it and the client can export it
    When its clusters and audit-log stores are analysed
    Then every cluster has its Kubernetes API audit log turned on, and the audit logs go to storage that is locked against change and deletion and that the client's auditors can read

  @KZ-AUD-02 @SOC2-CC6.7 @SOC2-C1.1 @ISO27001-A.5.14 @ISO27001-A.8.12 @NIST-800-53-AC-4 @NIST-800-53-SC-7(10)
  Scenario: The health beacon carries only the alert name and severity out of a customer VPC
    When its alert routes are analysed
    Then in a customer-VPC cell every alert route that leaves the cell groups alerts by name and severity only, and sends them through a receiver whose messages are explicitly written to show nothing but those two values

  @KZ-AUD-03 @SOC2-CC7.2 @ISO27001-A.8.16 @ISO27001-A.8.15 @NIST-800-53-SI-4 @NIST-800-53-AU-6
  Scenario: Every customer-VPC cell runs its own monitoring stack
    When its monitoring workloads are analysed
    Then a customer-VPC cell runs Prometheus, Grafana, Loki, Alertmanager and an OpenTelemetry collector, each with at least one replica

  @KZ-AUD-04 @SOC2-C1.1 @SOC2-CC6.7 @ISO27001-A.5.14 @ISO27001-A.8.12 @NIST-800-53-AC-4 @NIST-800-53-SC-7(10)
  Scenario: Logs and traces leave the cell only when the client's data policy allows it
    When its telemetry pipelines are analysed
    Then no collector, log shipper or workload sends logs or traces outside the cell unless the data policy of every client whose data they carry allows that export
