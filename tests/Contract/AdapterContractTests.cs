using Billing.Metering;

namespace Billing.Tests.Contract;

/// <summary>
/// The adapter contract package (adapter-contract/) is the trust boundary's public side (docs/adapters.md): adapters
/// get the metering call, agent seats and the call that joins the cluster, and nothing of what runs inside it.
/// </summary>
public sealed class AdapterContractTests
{
    private static readonly System.Reflection.Assembly Contract = typeof(ChannelMessage).Assembly;

    [Fact]
    public void The_contract_assembly_exposes_exactly_the_adapter_contract()
    {
        string[] expected =
        [
            "Billing.Apps.SeatModel",
            "Billing.Hosting.ClusterSettings",
            "Billing.Hosting.StorageSettings",
            "Billing.Metering.BillingSessionKey",
            "Billing.Metering.ChannelClass",
            "Billing.Metering.ChannelMessage",
            "Billing.Metering.ChannelMetering",
            "Billing.Metering.DenialReason",
            "Billing.Metering.IBillingSessionGrain",
            "Billing.Metering.MessageKind",
            "Billing.Metering.MeterDecision",
            "Billing.Metering.Verdict",
            "Billing.Seats.AgentEvent",
            "Billing.Seats.ISeatGrain",
            "Billing.Seats.SeatUsage",
            "Microsoft.Extensions.DependencyInjection.BillingStorageExtensions",
            "Microsoft.Extensions.Hosting.BillingClusterClientExtensions",
        ];

        // Orleans' generated serializers and proxies are public by necessity; they follow the types above.
        var exported = Contract.GetExportedTypes()
            .Where(t => t.Namespace?.StartsWith("OrleansCodeGen", StringComparison.Ordinal) != true)
            .Select(t => t.FullName!)
            .Order(StringComparer.Ordinal);

        Assert.Equal(expected, exported);
    }

    [Fact]
    public void The_contract_depends_on_no_other_assembly_of_the_system()
    {
        var ours = Contract.GetReferencedAssemblies().Where(a => a.Name!.StartsWith("Billing.", StringComparison.Ordinal)).Select(a => a.Name);

        Assert.Empty(ours);
    }

    [Fact]
    public void Grain_interfaces_inside_the_cluster_are_not_part_of_the_contract()
    {
        Assert.NotEqual(Contract, typeof(Billing.Wallets.IAppWalletGrain).Assembly);
        Assert.NotEqual(Contract, typeof(Billing.Usage.IUsageLogGrain).Assembly);
        Assert.Equal(Contract, typeof(Billing.Seats.ISeatGrain).Assembly);
    }
}
