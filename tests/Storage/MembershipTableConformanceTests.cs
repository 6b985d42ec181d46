using Billing.Storage.Clustering;
using Billing.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using static Billing.Tests.Storage.ProviderTestServices;

namespace Billing.Tests.Storage;

/// <summary>
/// <see cref="AzureTableMembershipTable"/> and <see cref="AzureTableGatewayListProvider"/> against Azurite, checked
/// against the IMembershipTable contract Orleans' own membership suite checks: every change is conditioned on the
/// table version, atomic, and heartbeats never invalidate what a silo read.
/// </summary>
public sealed class MembershipTableConformanceTests(AzuriteFixture azurite)
{
    private readonly ClusterOptions _cluster = NewClusterOptions();

    [Fact]
    public async Task Initialization_creates_table_version_zero_once()
    {
        var options = ClusteringOptions(azurite);
        var table = await StartMembershipTableAsync(options, _cluster);
        var first = await table.ReadAllAsync(Cancellation);

        // A second silo initializing the same cluster keeps the existing version row.
        var second = await StartMembershipTableAsync(options, _cluster);
        var again = await second.ReadAllAsync(Cancellation);

        Assert.Empty(first.Members);
        Assert.Equal(0, first.Version.Version);
        Assert.False(string.IsNullOrEmpty(first.Version.VersionEtag));
        Assert.Equal(first.Version, again.Version);
    }

    [Fact]
    public async Task Inserting_a_silo_at_the_current_version_advances_the_version()
    {
        var table = await StartMembershipTableAsync(ClusteringOptions(azurite), _cluster);
        var before = await table.ReadAllAsync(Cancellation);
        var entry = NewMembershipEntry();

        Assert.True(await table.InsertRowAsync(entry, before.Version.Next(), Cancellation));

        var after = await table.ReadAllAsync(Cancellation);
        Assert.Equal(1, after.Version.Version);
        Assert.NotEqual(before.Version.VersionEtag, after.Version.VersionEtag);
        var (read, etag) = Assert.Single(after.Members);
        Assert.Equal(Fields(entry), Fields(read));
        Assert.False(string.IsNullOrEmpty(etag));
    }

    [Fact]
    public async Task Inserting_a_silo_twice_fails_even_at_the_current_version()
    {
        var table = await StartMembershipTableAsync(ClusteringOptions(azurite), _cluster);
        var entry = NewMembershipEntry();
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync(Cancellation)).Version.Next(), Cancellation));
        var current = await table.ReadAllAsync(Cancellation);

        Assert.False(await table.InsertRowAsync(entry, current.Version.Next(), Cancellation));

        var after = await table.ReadAllAsync(Cancellation);
        Assert.Equal(current.Version, after.Version);
        Assert.Single(after.Members);
    }

    [Fact]
    public async Task Inserting_at_a_stale_table_version_fails_without_side_effects()
    {
        var table = await StartMembershipTableAsync(ClusteringOptions(azurite), _cluster);
        var stale = (await table.ReadAllAsync(Cancellation)).Version.Next();
        Assert.True(await table.InsertRowAsync(NewMembershipEntry(), stale, Cancellation));
        var late = NewMembershipEntry();

        Assert.False(await table.InsertRowAsync(late, stale, Cancellation));

        var after = await table.ReadAllAsync(Cancellation);
        Assert.Equal(1, after.Version.Version);
        Assert.DoesNotContain(after.Members, m => m.Item1.SiloAddress.Equals(late.SiloAddress));
    }

    [Fact]
    public async Task Updating_with_the_current_row_etag_and_version_succeeds()
    {
        var table = await StartMembershipTableAsync(ClusteringOptions(azurite), _cluster);
        var entry = NewMembershipEntry();
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync(Cancellation)).Version.Next(), Cancellation));
        var read = await table.ReadRowAsync(entry.SiloAddress, Cancellation);
        var (_, etag) = Assert.Single(read.Members);
        var suspector = NewSiloAddress();
        entry.Status = SiloStatus.Dead;
        entry.AddSuspector(suspector, DateTime.UtcNow);
        entry.AddSuspector(NewSiloAddress(), DateTime.UtcNow.AddSeconds(1));

        Assert.True(await table.UpdateRowAsync(entry, etag, read.Version.Next(), Cancellation));

        var after = await table.ReadRowAsync(entry.SiloAddress, Cancellation);
        Assert.Equal(2, after.Version.Version);
        var (updated, newEtag) = Assert.Single(after.Members);
        Assert.Equal(Fields(entry), Fields(updated));
        Assert.NotEqual(etag, newEtag);
    }

    [Fact]
    public async Task Updating_with_a_stale_row_etag_fails_without_side_effects()
    {
        var table = await StartMembershipTableAsync(ClusteringOptions(azurite), _cluster);
        var entry = NewMembershipEntry();
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync(Cancellation)).Version.Next(), Cancellation));
        var first = await table.ReadAllAsync(Cancellation);
        var staleEtag = first.Members.Single().Item2;
        entry.Status = SiloStatus.Active;
        Assert.True(await table.UpdateRowAsync(entry, staleEtag, first.Version.Next(), Cancellation));
        var current = await table.ReadAllAsync(Cancellation);

        entry.Status = SiloStatus.Dead;
        Assert.False(await table.UpdateRowAsync(entry, staleEtag, current.Version.Next(), Cancellation));

        var after = await table.ReadAllAsync(Cancellation);
        Assert.Equal(current.Version, after.Version);
        Assert.Equal(SiloStatus.Active, after.Members.Single().Item1.Status);
    }

    [Fact]
    public async Task Updating_at_a_stale_table_version_fails_without_side_effects()
    {
        var table = await StartMembershipTableAsync(ClusteringOptions(azurite), _cluster);
        var entry = NewMembershipEntry();
        var other = NewMembershipEntry();
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync(Cancellation)).Version.Next(), Cancellation));
        var read = await table.ReadAllAsync(Cancellation);
        var etag = read.Members.Single().Item2;
        // Another silo joins meanwhile: the version read above is now stale, the row etag is not.
        Assert.True(await table.InsertRowAsync(other, read.Version.Next(), Cancellation));

        entry.Status = SiloStatus.Active;
        Assert.False(await table.UpdateRowAsync(entry, etag, read.Version.Next(), Cancellation));

        var after = await table.ReadRowAsync(entry.SiloAddress, Cancellation);
        Assert.Equal(2, after.Version.Version);
        Assert.Equal(SiloStatus.Joining, after.Members.Single().Item1.Status);
        Assert.Equal(etag, after.Members.Single().Item2);
    }

    [Fact]
    public async Task Updating_a_silo_that_is_not_in_the_table_fails()
    {
        var table = await StartMembershipTableAsync(ClusteringOptions(azurite), _cluster);
        var read = await table.ReadAllAsync(Cancellation);

        Assert.False(await table.UpdateRowAsync(NewMembershipEntry(), "no-such-etag", read.Version.Next(), Cancellation));

        Assert.Equal(read.Version, (await table.ReadAllAsync(Cancellation)).Version);
    }

    [Fact]
    public async Task Read_row_and_read_all_return_every_field_as_written()
    {
        var table = await StartMembershipTableAsync(ClusteringOptions(azurite), _cluster);
        var entries = new[] { NewMembershipEntry(SiloStatus.Active), NewMembershipEntry(SiloStatus.ShuttingDown), NewMembershipEntry() };
        entries[1].AddSuspector(entries[0].SiloAddress, new DateTime(2026, 11, 1, 9, 0, 0, 123, DateTimeKind.Utc).AddTicks(4567));
        entries[1].AddSuspector(entries[2].SiloAddress, new DateTime(2026, 11, 1, 9, 0, 5, DateTimeKind.Utc));
        entries[2].RoleName = null!;
        foreach (var entry in entries)
            Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync(Cancellation)).Version.Next(), Cancellation));

        var all = await table.ReadAllAsync(Cancellation);
        var one = await table.ReadRowAsync(entries[1].SiloAddress, Cancellation);

        Assert.Equal(3, all.Version.Version);
        Assert.Equal(
            entries.Select(Fields).OrderBy(f => f.ToString(), StringComparer.Ordinal),
            all.Members.Select(m => Fields(m.Item1)).OrderBy(f => f.ToString(), StringComparer.Ordinal));
        Assert.Equal(all.Version, one.Version);
        var (read, etag) = Assert.Single(one.Members);
        Assert.Equal(Fields(entries[1]), Fields(read));
        Assert.Equal(all.Members.Single(m => m.Item1.SiloAddress.Equals(entries[1].SiloAddress)).Item2, etag);
    }

    [Fact]
    public async Task A_heartbeat_changes_only_the_alive_time_and_invalidates_nothing_read_before()
    {
        var table = await StartMembershipTableAsync(ClusteringOptions(azurite), _cluster);
        var entry = NewMembershipEntry(SiloStatus.Active);
        entry.AddSuspector(NewSiloAddress(), DateTime.UtcNow);
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync(Cancellation)).Version.Next(), Cancellation));
        var before = await table.ReadAllAsync(Cancellation);
        var aliveAt = entry.IAmAliveTime.AddSeconds(37);

        // As Orleans sends it: only the address and the new time are filled in.
        await table.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = entry.SiloAddress, IAmAliveTime = aliveAt }, Cancellation);

        var after = await table.ReadAllAsync(Cancellation);
        var (read, etag) = Assert.Single(after.Members);
        entry.IAmAliveTime = aliveAt;
        Assert.Equal(Fields(entry), Fields(read));
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.Members.Single().Item2, etag);

        // Orleans 10: a row etag and table version read before a heartbeat still guard an update after it.
        entry.Status = SiloStatus.ShuttingDown;
        Assert.True(await table.UpdateRowAsync(entry, before.Members.Single().Item2, before.Version.Next(), Cancellation));
    }

    [Fact]
    public async Task Cleanup_removes_only_inactive_silos_silent_since_before_the_date()
    {
        var table = await StartMembershipTableAsync(ClusteringOptions(azurite), _cluster);
        var now = DateTime.UtcNow;
        var oldDead = NewMembershipEntry(SiloStatus.Dead, aliveAt: now.AddDays(-10));
        var oldJoining = NewMembershipEntry(SiloStatus.Joining, aliveAt: now.AddDays(-10));
        var recentDead = NewMembershipEntry(SiloStatus.Dead, aliveAt: now.AddHours(-1));
        var oldActive = NewMembershipEntry(SiloStatus.Active, aliveAt: now.AddDays(-10));
        var recentlyDeclaredDead = NewMembershipEntry(SiloStatus.Dead, aliveAt: now.AddDays(-10));
        recentlyDeclaredDead.AddSuspector(recentDead.SiloAddress, now.AddHours(-2));
        foreach (var entry in new[] { oldDead, oldJoining, recentDead, oldActive, recentlyDeclaredDead })
            Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync(Cancellation)).Version.Next(), Cancellation));

        await table.CleanupDefunctSiloEntriesAsync(now.AddDays(-3), Cancellation);

        var remaining = (await table.ReadAllAsync(Cancellation)).Members.Select(m => m.Item1.SiloAddress).ToHashSet();
        Assert.Equal(new[] { recentDead, oldActive, recentlyDeclaredDead }.Select(e => e.SiloAddress).ToHashSet(), remaining);
    }

    [Fact]
    public async Task Deleting_the_cluster_entries_clears_that_cluster_only()
    {
        var options = ClusteringOptions(azurite);
        var table = await StartMembershipTableAsync(options, _cluster);
        var neighbour = await StartMembershipTableAsync(options, NewClusterOptions());
        Assert.True(await table.InsertRowAsync(NewMembershipEntry(), (await table.ReadAllAsync(Cancellation)).Version.Next(), Cancellation));
        Assert.True(await neighbour.InsertRowAsync(NewMembershipEntry(), (await neighbour.ReadAllAsync(Cancellation)).Version.Next(), Cancellation));

        await table.DeleteMembershipTableEntriesAsync(_cluster.ClusterId, Cancellation);

        await Assert.ThrowsAsync<InvalidOperationException>(() => table.ReadAllAsync(Cancellation));
        Assert.Single((await neighbour.ReadAllAsync(Cancellation)).Members);
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true, Cancellation);
        var fresh = await table.ReadAllAsync(Cancellation);
        Assert.Empty(fresh.Members);
        Assert.Equal(0, fresh.Version.Version);
    }

    [Fact]
    public async Task The_gateway_list_holds_the_gateways_of_active_silos_only()
    {
        var options = ClusteringOptions(azurite);
        var table = await StartMembershipTableAsync(options, _cluster);
        var refresh = TimeSpan.FromSeconds(17);
        var gateways = await StartGatewayListProviderAsync(options, _cluster, new GatewayOptions { GatewayListRefreshPeriod = refresh });
        var active = new[] { NewMembershipEntry(SiloStatus.Active), NewMembershipEntry(SiloStatus.Active) };
        var noGateway = NewMembershipEntry(SiloStatus.Active);
        noGateway.ProxyPort = 0;
        var others = new[] { NewMembershipEntry(SiloStatus.Joining), NewMembershipEntry(SiloStatus.ShuttingDown), NewMembershipEntry(SiloStatus.Dead), noGateway };
        foreach (var entry in active.Concat(others))
            Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync(Cancellation)).Version.Next(), Cancellation));
        var neighbour = await StartMembershipTableAsync(options, NewClusterOptions());
        Assert.True(await neighbour.InsertRowAsync(NewMembershipEntry(SiloStatus.Active), (await neighbour.ReadAllAsync(Cancellation)).Version.Next(), Cancellation));

        var uris = await gateways.GetGatewaysAsync(Cancellation);

        var expected = active.Select(e => SiloAddress.New(e.SiloAddress.Endpoint.Address, e.ProxyPort, e.SiloAddress.Generation).ToGatewayUri());
        Assert.Equal(expected.Select(u => u.ToString()).Order(StringComparer.Ordinal), uris.Select(u => u.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(refresh, gateways.MaxStaleness);
        Assert.True(gateways.IsUpdatable);
    }

    [Fact]
    public void Options_without_a_connection_string_are_refused_naming_the_setting()
    {
        var options = Options.Create(new AzureTableClusteringOptions());

        var e = Assert.Throws<OrleansConfigurationException>(new AzureTableClusteringOptionsValidator(options).ValidateConfiguration);

        Assert.Contains("AzureTableClusteringOptions:ConnectionString", e.Message, StringComparison.Ordinal);
        // The container may build the providers before Orleans runs the validators: they refuse with the same message.
        Assert.Equal(e.Message, Assert.Throws<OrleansConfigurationException>(
            () => new AzureTableMembershipTable(options, Options.Create(_cluster), NullLogger<AzureTableMembershipTable>.Instance)).Message);
        Assert.Equal(e.Message, Assert.Throws<OrleansConfigurationException>(
            () => new AzureTableGatewayListProvider(options, Options.Create(_cluster), Options.Create(new GatewayOptions()), NullLogger<AzureTableGatewayListProvider>.Instance)).Message);
    }
}
