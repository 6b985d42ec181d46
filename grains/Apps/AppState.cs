using Billing.Apps;

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

    public bool IsCreated => WorkspaceId.Length > 0;
}
