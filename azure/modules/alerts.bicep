// What wakes an operator: emails dead-lettered (E3), payments failing (including renewals in dunning, P4) and
// auto-reloads failing (A3), read from the Billing meter's metrics in Application Insights; silos restarting or too
// few of them, and the API answering 5xx, read from Container Apps' platform metrics.

@description('Azure region of the log alerts.')
param location string

@description('Prefix of every resource name of this deployment.')
param namePrefix string

@description('Addresses that receive the alerts.')
param operatorEmails string[]

@description('The Application Insights component the Billing meter exports to.')
param appInsightsName string

@description('The silo container app.')
param siloAppName string

@description('The API container app.')
param apiAppName string

@description('The fewest silo replicas the deployment asks for: fewer for 10 minutes is an alert.')
param siloMinReplicas int

@description('Failed payments per hour above which operators are told.')
param failedPaymentsPerHour int

@description('API 5xx answers per 5 minutes above which operators are told.')
param serverErrorsPer5Minutes int

type logAlert = {
  @description('Resource name suffix.')
  name: string
  @description('What the operator reads in the alert.')
  description: string
  @description('0 critical to 4 verbose.')
  severity: int
  @description('Kusto query over Application Insights returning a column "total".')
  query: string
  @description('Alert when total exceeds this.')
  threshold: int
  @description('Window the query covers (ISO 8601).')
  window: string
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource silo 'Microsoft.App/containerApps@2025-01-01' existing = {
  name: siloAppName
}

resource api 'Microsoft.App/containerApps@2025-01-01' existing = {
  name: apiAppName
}

resource operators 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-operators'
  location: 'global'
  properties: {
    groupShortName: 'billing-ops'
    enabled: true
    emailReceivers: [for (address, i) in operatorEmails: {
      name: 'operator-${i}'
      emailAddress: address
      useCommonAlertSchema: true
    }]
  }
}

// The Billing meter's counters arrive in customMetrics with their tags in customDimensions (grains/Telemetry).
var logAlerts logAlert[] = [
  {
    name: 'emails-dead-lettered'
    description: 'Emails were dead-lettered after their last attempt, or held as unconfirmed after a send cut short (E3). See GET /operator/outbox?status=dead and ?status=unconfirmed and retry them.'
    severity: 1
    query: 'customMetrics | where name == "billing.emails" and tostring(customDimensions.outcome) in ("dead_lettered", "unconfirmed") | summarize total = sum(valueSum)'
    threshold: 0
    window: 'PT15M'
  }
  {
    name: 'payments-failing'
    description: 'Payments (purchases, reloads, renewals in dunning) are failing more than usual: check the payment gateway.'
    severity: 2
    query: 'customMetrics | where name == "billing.payments" and tostring(customDimensions.outcome) == "failed" | summarize total = sum(valueSum)'
    threshold: failedPaymentsPerHour
    window: 'PT1H'
  }
  {
    name: 'reloads-failing'
    description: 'Auto-reloads failed (A3): apps may run out of balance. Check the payment gateway and the apps\' cards.'
    severity: 2
    query: 'customMetrics | where name == "billing.reloads" and tostring(customDimensions.outcome) == "failed" | summarize total = sum(valueSum)'
    threshold: 0
    window: 'PT1H'
  }
  // Dunning (P4) is visible in the subscription grain's structured logs, which arrive in traces.
  {
    name: 'subscriptions-lapsing'
    description: 'A subscription lapsed to the free plan after its last failed renewal (P4). Check the app\'s payment method and the gateway.'
    severity: 2
    query: 'traces | where message has "lapsed to the free plan after" | summarize total = count()'
    threshold: 0
    window: 'PT1H'
  }
  {
    name: 'renewals-in-dunning'
    description: 'Many subscription renewals failed in the last 6 hours and entered dunning (P4): many at once points at the gateway, not at customers.'
    severity: 3
    query: 'traces | where message has "past due, next attempt at" | summarize total = count()'
    threshold: failedPaymentsPerHour
    window: 'PT6H'
  }
]

resource queryAlerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for alert in logAlerts: {
  name: '${namePrefix}-${alert.name}'
  location: location
  properties: {
    displayName: '${namePrefix}: ${alert.name}'
    description: alert.description
    severity: alert.severity
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: alert.window
    criteria: {
      allOf: [
        {
          query: alert.query
          timeAggregation: 'Total'
          metricMeasureColumn: 'total'
          operator: 'GreaterThan'
          threshold: alert.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        operators.id
      ]
    }
  }
}]

resource siloRestarts 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-silo-restarts'
  location: 'global'
  properties: {
    description: 'A silo replica restarted (crash, failed probe, out of memory). Its grains moved to the other silos; find the cause in the container logs.'
    severity: 2
    enabled: true
    scopes: [
      silo.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'restarts'
          metricNamespace: 'Microsoft.App/containerApps'
          metricName: 'RestartCount'
          timeAggregation: 'Total'
          operator: 'GreaterThan'
          threshold: 0
        }
      ]
    }
    actions: [
      {
        actionGroupId: operators.id
      }
    ]
  }
}

resource siloReplicas 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-silo-replicas-low'
  location: 'global'
  properties: {
    description: 'Fewer silo replicas than the deployment asks for, for 10 minutes: the cluster has less headroom and one more loss leaves it without redundancy.'
    severity: 1
    enabled: true
    scopes: [
      silo.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT10M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'replicas'
          metricNamespace: 'Microsoft.App/containerApps'
          metricName: 'Replicas'
          timeAggregation: 'Maximum'
          operator: 'LessThan'
          threshold: siloMinReplicas
        }
      ]
    }
    actions: [
      {
        actionGroupId: operators.id
      }
    ]
  }
}

resource apiServerErrors 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-api-5xx'
  location: 'global'
  properties: {
    description: 'The API answers 5xx: the cluster or storage is unreachable, or a request failed unexpectedly. Check /health/ready and the traces.'
    severity: 2
    enabled: true
    scopes: [
      api.id
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'server-errors'
          metricNamespace: 'Microsoft.App/containerApps'
          metricName: 'Requests'
          dimensions: [
            {
              name: 'statusCodeCategory'
              operator: 'Include'
              values: [
                '5xx'
              ]
            }
          ]
          timeAggregation: 'Total'
          operator: 'GreaterThan'
          threshold: serverErrorsPer5Minutes
        }
      ]
    }
    actions: [
      {
        actionGroupId: operators.id
      }
    ]
  }
}
