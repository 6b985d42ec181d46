using Azure.Data.Tables;
using Billing.Storage.Hosting;
using Billing.Storage.Persistence;
using Billing.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Billing.Tests.Storage;

[GenerateSerializer, Alias("Billing.Tests.Storage.ProbeState")]
public sealed record ProbeState
{
    [Id(0)] public string Text { get; init; } = "";
    [Id(1)] public int Version { get; init; }
    [Id(2)] public byte[] Blob { get; init; } = [];
}

/// <summary>
/// What every grain storage provider owes Orleans (read, write, clear, optimistic concurrency, isolation of keys and
/// named states, size limits), checked against a real table service. Each test has its own table and grain ids.
/// </summary>
public sealed class GrainStorageConformanceTests(AzuriteFixture azurite)
{
    private const string StateName = "probe";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private Task<AzureTableGrainStorage> NewStorageAsync() => GrainStorageTestHarness.CreateAsync(azurite, "grainstate", Cancel);

    [Fact]
    public async Task Missing_record_reads_as_default_with_no_etag()
    {
        var storage = await NewStorageAsync();

        var read = await storage.ReadAsync<ProbeState>(StateName, GrainStorageTestHarness.NewGrainId());

        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.Equal(new ProbeState(), read.State);
    }

    [Fact]
    public async Task Written_state_reads_back_with_an_etag()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        var written = new TestGrainState<ProbeState>(new ProbeState { Text = "hello", Version = 7 });

        await storage.WriteStateAsync(StateName, grainId, written, Cancel);
        var read = await storage.ReadAsync<ProbeState>(StateName, grainId);

        Assert.True(written.RecordExists);
        Assert.NotNull(written.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal("hello", read.State.Text);
        Assert.Equal(7, read.State.Version);
    }

    [Fact]
    public async Task Every_write_changes_the_etag()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        var state = new TestGrainState<ProbeState>(new ProbeState());
        var etags = new List<string>();

        for (var version = 1; version <= 3; version++)
        {
            // The same content twice still gets a new version: the ETag tracks writes, not values.
            state.State = new ProbeState { Version = version == 3 ? 2 : version };
            await storage.WriteStateAsync(StateName, grainId, state, Cancel);
            etags.Add(state.ETag!);
        }

        Assert.Equal(3, etags.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(etags[^1], (await storage.ReadAsync<ProbeState>(StateName, grainId)).ETag);
    }

    [Fact]
    public async Task Writing_with_a_stale_etag_throws_inconsistent_state()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        await storage.WriteStateAsync(StateName, grainId, new TestGrainState<ProbeState>(new ProbeState { Version = 1 }), Cancel);
        var a = await storage.ReadAsync<ProbeState>(StateName, grainId);
        var b = await storage.ReadAsync<ProbeState>(StateName, grainId);
        var staleETag = b.ETag;

        a.State = new ProbeState { Version = 2, Text = "a" };
        await storage.WriteStateAsync(StateName, grainId, a, Cancel);
        b.State = new ProbeState { Version = 2, Text = "b" };
        var e = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grainId, b, Cancel));

        Assert.Equal(staleETag, e.CurrentEtag);
        Assert.Equal(a.ETag, e.StoredEtag);
        Assert.Equal(staleETag, b.ETag);
        Assert.Equal("a", (await storage.ReadAsync<ProbeState>(StateName, grainId)).State.Text);
    }

    [Fact]
    public async Task Writing_with_no_etag_over_an_existing_record_throws_inconsistent_state()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        var first = new TestGrainState<ProbeState>(new ProbeState { Text = "first" });
        await storage.WriteStateAsync(StateName, grainId, first, Cancel);

        var blind = new TestGrainState<ProbeState>(new ProbeState { Text = "blind" });
        var e = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grainId, blind, Cancel));

        Assert.Null(e.CurrentEtag);
        Assert.Equal(first.ETag, e.StoredEtag);
        Assert.Equal("first", (await storage.ReadAsync<ProbeState>(StateName, grainId)).State.Text);
    }

    [Fact]
    public async Task Writing_over_a_record_someone_else_cleared_throws_inconsistent_state()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        var a = new TestGrainState<ProbeState>(new ProbeState { Text = "a" });
        await storage.WriteStateAsync(StateName, grainId, a, Cancel);
        var b = await storage.ReadAsync<ProbeState>(StateName, grainId);
        await storage.ClearStateAsync(StateName, grainId, a, Cancel);

        b.State = new ProbeState { Text = "b" };
        var e = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grainId, b, Cancel));

        Assert.Null(e.StoredEtag);
        Assert.Equal(b.ETag, e.CurrentEtag);
        Assert.False((await storage.ReadAsync<ProbeState>(StateName, grainId)).RecordExists);
    }

    [Fact]
    public async Task Clear_deletes_the_record_so_it_reads_as_default()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        var state = new TestGrainState<ProbeState>(new ProbeState { Text = "doomed" });
        await storage.WriteStateAsync(StateName, grainId, state, Cancel);

        await storage.ClearStateAsync(StateName, grainId, state, Cancel);
        var read = await storage.ReadAsync<ProbeState>(StateName, grainId);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal(new ProbeState(), state.State);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.Equal(new ProbeState(), read.State);
        Assert.False((await GrainStorageTestHarness.Table(azurite, storage).QueryAsync<TableEntity>(cancellationToken: Cancel).AnyAsync(Cancel)));
    }

    [Fact]
    public async Task Clearing_with_a_stale_etag_throws_inconsistent_state()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        await storage.WriteStateAsync(StateName, grainId, new TestGrainState<ProbeState>(new ProbeState { Version = 1 }), Cancel);
        var a = await storage.ReadAsync<ProbeState>(StateName, grainId);
        var b = await storage.ReadAsync<ProbeState>(StateName, grainId);
        var staleETag = b.ETag;
        a.State = new ProbeState { Version = 2 };
        await storage.WriteStateAsync(StateName, grainId, a, Cancel);

        var e = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grainId, b, Cancel));

        Assert.Equal(staleETag, e.CurrentEtag);
        Assert.Equal(a.ETag, e.StoredEtag);
        Assert.Equal(2, (await storage.ReadAsync<ProbeState>(StateName, grainId)).State.Version);
    }

    [Fact]
    public async Task Clearing_a_record_someone_else_deleted_throws_inconsistent_state()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        var a = new TestGrainState<ProbeState>(new ProbeState());
        await storage.WriteStateAsync(StateName, grainId, a, Cancel);
        var b = await storage.ReadAsync<ProbeState>(StateName, grainId);
        await storage.ClearStateAsync(StateName, grainId, a, Cancel);

        var e = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grainId, b, Cancel));

        Assert.Null(e.StoredEtag);
        Assert.Equal(b.ETag, e.CurrentEtag);
    }

    [Fact]
    public async Task Clearing_with_no_etag_succeeds_when_there_is_no_record_and_throws_when_there_is()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        var never = new TestGrainState<ProbeState>(new ProbeState { Text = "never written" });

        await storage.ClearStateAsync(StateName, grainId, never, Cancel);
        Assert.False(never.RecordExists);
        Assert.Equal(new ProbeState(), never.State);

        var written = new TestGrainState<ProbeState>(new ProbeState { Text = "kept" });
        await storage.WriteStateAsync(StateName, grainId, written, Cancel);
        var e = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grainId, new TestGrainState<ProbeState>(), Cancel));

        Assert.Equal(written.ETag, e.StoredEtag);
        Assert.Null(e.CurrentEtag);
        Assert.Equal("kept", (await storage.ReadAsync<ProbeState>(StateName, grainId)).State.Text);
    }

    [Fact]
    public async Task Write_after_clear_inserts_a_fresh_record()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        var state = new TestGrainState<ProbeState>(new ProbeState { Text = "one" });
        await storage.WriteStateAsync(StateName, grainId, state, Cancel);
        var firstETag = state.ETag;

        await storage.ClearStateAsync(StateName, grainId, state, Cancel);
        state.State = new ProbeState { Text = "two" };
        await storage.WriteStateAsync(StateName, grainId, state, Cancel);
        var read = await storage.ReadAsync<ProbeState>(StateName, grainId);

        Assert.True(read.RecordExists);
        Assert.Equal("two", read.State.Text);
        Assert.Equal(state.ETag, read.ETag);
        Assert.NotEqual(firstETag, read.ETag);
    }

    [Fact]
    public async Task Named_states_of_one_grain_are_independent()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        var profile = new TestGrainState<ProbeState>(new ProbeState { Text = "profile" });
        var ledger = new TestGrainState<ProbeState>(new ProbeState { Text = "ledger" });
        await storage.WriteStateAsync("profile", grainId, profile, Cancel);
        await storage.WriteStateAsync("ledger", grainId, ledger, Cancel);

        // Writing and clearing one named state leaves the other's content and version alone.
        profile.State = new ProbeState { Text = "profile v2" };
        await storage.WriteStateAsync("profile", grainId, profile, Cancel);
        await storage.ClearStateAsync("profile", grainId, profile, Cancel);
        var readLedger = await storage.ReadAsync<ProbeState>("ledger", grainId);
        var readProfile = await storage.ReadAsync<ProbeState>("profile", grainId);

        Assert.Equal("ledger", readLedger.State.Text);
        Assert.Equal(ledger.ETag, readLedger.ETag);
        Assert.False(readProfile.RecordExists);
    }

    [Theory]
    [InlineData("a/b\\c#d?e")]
    [InlineData("tilde~7E~and~2F")]
    [InlineData("ünïcødé/日本語/🙂")]
    [InlineData("tab\tand\u0001control")]
    public async Task Grain_keys_with_reserved_and_non_ascii_characters_round_trip(string key)
    {
        var storage = await NewStorageAsync();
        var grainId = GrainId.Create("probe", key);
        var state = new TestGrainState<ProbeState>(new ProbeState { Text = key });

        await storage.WriteStateAsync(StateName, grainId, state, Cancel);
        var read = await storage.ReadAsync<ProbeState>(StateName, grainId);
        state.State = new ProbeState { Text = key, Version = 2 };
        await storage.WriteStateAsync(StateName, grainId, state, Cancel);
        await storage.ClearStateAsync(StateName, grainId, state, Cancel);

        Assert.Equal(key, read.State.Text);
        Assert.False((await storage.ReadAsync<ProbeState>(StateName, grainId)).RecordExists);
    }

    [Fact]
    public async Task Grain_ids_differing_only_in_escaped_characters_do_not_collide()
    {
        var storage = await NewStorageAsync();
        string[] keys = ["a/b", "a~2Fb", "a?b", "a~3Fb", "a~b", "a~7Eb", "a#b", "a\\b"];

        foreach (var key in keys)
            await storage.WriteStateAsync(StateName, GrainId.Create("probe", key), new TestGrainState<ProbeState>(new ProbeState { Text = key }), Cancel);

        foreach (var key in keys)
            Assert.Equal(key, (await storage.ReadAsync<ProbeState>(StateName, GrainId.Create("probe", key))).State.Text);
        Assert.Equal(keys.Length, await GrainStorageTestHarness.Table(azurite, storage).QueryAsync<TableEntity>(cancellationToken: Cancel).CountAsync(Cancel));
    }

    [Fact]
    public async Task State_names_with_reserved_characters_are_distinct_rows()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        string[] names = ["s/1", "s~2F1", "s?1"];

        foreach (var name in names)
            await storage.WriteStateAsync(name, grainId, new TestGrainState<ProbeState>(new ProbeState { Text = name }), Cancel);

        foreach (var name in names)
            Assert.Equal(name, (await storage.ReadAsync<ProbeState>(name, grainId)).State.Text);
    }

    [Fact]
    public async Task Large_state_spanning_several_chunks_round_trips()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        var blob = new byte[300 * 1024];
        new Random(42).NextBytes(blob);
        var text = new string('€', 40_000);

        await storage.WriteStateAsync(StateName, grainId, new TestGrainState<ProbeState>(new ProbeState { Blob = blob, Text = text }), Cancel);
        var read = await storage.ReadAsync<ProbeState>(StateName, grainId);

        Assert.Equal(blob, read.State.Blob);
        Assert.Equal(text, read.State.Text);
        var row = await GrainStorageTestHarness.Table(azurite, storage).QueryAsync<TableEntity>(cancellationToken: Cancel).SingleAsync(Cancel);
        var chunks = row.GetInt32("DataChunks")!.Value;
        Assert.InRange(chunks, 6, AzureTableGrainStorage.MaxChunks);
        Assert.All(Enumerable.Range(0, chunks), i => Assert.InRange(row.GetBinary($"Data{i}")!.Length, 1, AzureTableGrainStorage.ChunkBytes));
    }

    [Fact]
    public async Task State_over_the_entity_limit_is_refused_before_anything_is_written()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        var state = new TestGrainState<ProbeState>(new ProbeState { Text = "previous" });
        await storage.WriteStateAsync(StateName, grainId, state, Cancel);
        var etagBefore = state.ETag;

        state.State = new ProbeState { Blob = new byte[AzureTableGrainStorage.MaxStateBytes] };
        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => storage.WriteStateAsync(StateName, grainId, state, Cancel));
        var read = await storage.ReadAsync<ProbeState>(StateName, grainId);

        Assert.Contains(grainId.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{StateName}'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{AzureTableGrainStorage.MaxStateBytes}-byte limit", e.Message, StringComparison.Ordinal);
        Assert.Matches(@"serializes to \d{6,} bytes", e.Message);
        Assert.Equal(etagBefore, state.ETag);
        Assert.Equal("previous", read.State.Text);
        Assert.Equal(etagBefore, read.ETag);
    }

    [Fact]
    public async Task State_over_the_entity_limit_never_creates_a_record()
    {
        var storage = await NewStorageAsync();
        var grainId = GrainStorageTestHarness.NewGrainId();
        var state = new TestGrainState<ProbeState>(new ProbeState { Blob = new byte[AzureTableGrainStorage.MaxStateBytes + 1] });

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => storage.WriteStateAsync(StateName, grainId, state, Cancel));

        Assert.False(state.RecordExists);
        Assert.False((await storage.ReadAsync<ProbeState>(StateName, grainId)).RecordExists);
    }

    [Fact]
    public async Task Storage_used_before_its_table_is_created_refuses_clearly()
    {
        var storage = new AzureTableGrainStorage(
            GrainStorageTestHarness.ProviderName, GrainStorageTestHarness.Options(azurite, "uninit"), GrainStorageTestHarness.ActivatorProvider,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<AzureTableGrainStorage>.Instance);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => storage.ReadAsync<ProbeState>(StateName, GrainStorageTestHarness.NewGrainId()));

        Assert.Contains(nameof(AzureTableGrainStorage.InitializeAsync), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Misconfigured_options_are_refused_naming_the_setting()
    {
        var options = new AzureTableGrainStorageOptions { TableName = "grain-state" };

        var e = Assert.Throws<OrleansConfigurationException>(() => new AzureTableGrainStorageOptionsValidator(options, "billing").ValidateConfiguration());

        Assert.Contains("AzureTableGrainStorageOptions[billing]:ConnectionString", e.Message, StringComparison.Ordinal);
        Assert.Contains("AzureTableGrainStorageOptions[billing]:TableName 'grain-state'", e.Message, StringComparison.Ordinal);
        Assert.Contains("AzureTableGrainStorageOptions[billing]:GrainStorageSerializer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registration_provides_a_keyed_provider_that_defaults_to_the_silo_serializer()
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddSerializer(serializer => serializer.AddAssembly(typeof(ProbeState).Assembly))
            .AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>()
            .AddAzureTableGrainStorage("billing", o =>
            {
                o.ConnectionString = azurite.ConnectionString;
                o.TableName = AzuriteFixture.UniqueTableName("registered");
            });
        await using var provider = services.BuildServiceProvider();

        var storage = provider.GetRequiredKeyedService<IGrainStorage>("billing");
        var options = provider.GetRequiredService<IOptionsMonitor<AzureTableGrainStorageOptions>>().Get("billing");
        foreach (var validator in provider.GetServices<IConfigurationValidator>())
            validator.ValidateConfiguration();

        var typed = Assert.IsType<AzureTableGrainStorage>(storage);
        Assert.IsType<OrleansGrainStorageSerializer>(options.GrainStorageSerializer);
        Assert.Contains(provider.GetServices<ILifecycleParticipant<ISiloLifecycle>>(), p => ReferenceEquals(p, typed));
        await typed.InitializeAsync(Cancel);
        var grainId = GrainStorageTestHarness.NewGrainId();
        await storage.WriteStateAsync(StateName, grainId, new TestGrainState<ProbeState>(new ProbeState { Text = "via DI" }), Cancel);
        Assert.Equal("via DI", (await storage.ReadAsync<ProbeState>(StateName, grainId)).State.Text);
    }

    [Fact]
    public void Logged_options_never_show_the_account_key()
    {
        var services = new ServiceCollection()
            .AddSerializer()
            .AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>()
            .AddAzureTableGrainStorage("billing", o => o.ConnectionString = azurite.ConnectionString);
        using var provider = services.BuildServiceProvider();

        var lines = provider.GetServices<IOptionFormatter>().SelectMany(f => f.Format().Prepend(f.Name)).ToList();

        var accountKey = azurite.ConnectionString.Split(';').Single(p => p.StartsWith("AccountKey=", StringComparison.Ordinal))["AccountKey=".Length..];
        Assert.DoesNotContain(lines, line => line.Contains(accountKey, StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("AccountName=devstoreaccount1", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains(AzureTableGrainStorageOptions.DefaultTableName, StringComparison.Ordinal));
    }
}
