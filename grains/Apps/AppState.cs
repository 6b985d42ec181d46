using Billing.Apps;
using Billing.Notifications;

namespace Billing.Apps;

[GenerateSerializer, Alias("billing.apps.state")]
public sealed class AppState
{
    [Id(0)] public string WorkspaceId { get; set; } = "";
    [Id(1)] public string Name { get; set; } = "";
    [Id(2)] public Product Product { get; set; }
    [Id(3)] public UsagePlan Plan { get; set; }
    [Id(4)] public SeatModel? SeatModel { get; set; }
    [Id(5)] public string OwnerUserId { get; set; } = "";
    [Id(6)] public DateTimeOffset CreatedAt { get; set; }

    /// <summary>W2: the app's Collaborators (the App Owner is <see cref="OwnerUserId"/>).</summary>
    [Id(7)] public List<string> Collaborators { get; set; } = [];

    /// <summary>Deleted apps keep their state (their ledgers and usage stay readable by support) but answer as missing.</summary>
    [Id(8)] public bool Deleted { get; set; }

    [Id(9)] public PublishStatus PublishStatus { get; set; }
    [Id(10)] public string? PublishRequestedBy { get; set; }
    [Id(11)] public DateTimeOffset? PublishRequestedAt { get; set; }
    [Id(12)] public bool AutoApprovalEnabled { get; set; }
    [Id(13)] public DateTimeOffset? FirstPublishedAt { get; set; }
    [Id(14)] public PublishApproval? FirstApproval { get; set; }
    [Id(15)] public PublishFunding? FirstFunding { get; set; }

    /// <summary>D2: whether <c>AppFirstPublished</c> was handed to the sink (raised again by the next publishing call until it was).</summary>
    [Id(16)] public bool FirstPublishEventRaised { get; set; }
    [Id(17)] public string? LastRejectionReason { get; set; }

    /// <summary>D1: a Purchase or Reload was seen in the paid ledger once; it stays true, so the ledger is scanned at most until then.</summary>
    [Id(18)] public bool PaidCreditsPurchased { get; set; }


    public bool IsCreated => WorkspaceId.Length > 0;

    public bool Exists => IsCreated && !Deleted;
}
