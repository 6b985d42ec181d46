using Billing.Ledgers;
using Billing.Wallets;
using Billing.Apps;
using Billing.Diagnostics;
using Billing.Metering;
using Billing.Workspaces;

namespace Billing.Benchmark;

/// <summary>The calls under test and the tenant they bill: one workspace with its apps, created through grains.</summary>
public sealed class Workload
{
    private const string OwnerUserId = "usr_benchmark";

    // End users talk on a mix of channels: three chat channels and one voice channel (B2 prices them by class).
    private static readonly (string Channel, ChannelClass Class)[] Channels =
        [("webchat", ChannelClass.Chat), ("whatsapp", ChannelClass.Chat), ("msteams", ChannelClass.Chat), ("ivr", ChannelClass.Voice)];

    private readonly IClusterClient _client;
    private readonly BenchmarkSettings _settings;
    private readonly string _runId = Guid.NewGuid().ToString("N")[..12];
    private long _messageCount;

    private Workload(IClusterClient client, BenchmarkSettings settings, string workspaceId, IReadOnlyList<string> appIds)
    {
        _client = client;
        _settings = settings;
        WorkspaceId = workspaceId;
        AppIds = appIds;
    }

    public string WorkspaceId { get; }

    public IReadOnlyList<string> AppIds { get; }

    /// <summary>Whether <see cref="FundAppsAsync"/> put money in the apps' wallets (otherwise only the workspace's free credits pay).</summary>
    public bool Funded { get; private set; }

    public static async Task<Workload> CreateAsync(IClusterClient client, BenchmarkSettings settings)
    {
        var workspaceId = "ws_" + Guid.NewGuid().ToString("N");
        await client.GetGrain<IWorkspaceGrain>(workspaceId).Create(new CreateWorkspace("Benchmark", OwnerUserId));
        var appIds = Enumerable.Range(0, settings.Apps).Select(_ => "app_" + Guid.NewGuid().ToString("N")).ToArray();
        await Task.WhenAll(appIds.Select((id, i) =>
            client.GetGrain<IAppGrain>(id).Create(new CreateApp(workspaceId, $"Benchmark app {i + 1}", Product.AutomationAi, OwnerUserId, null))));
        var workload = new Workload(client, settings, workspaceId, appIds);
        await workload.FundAppsAsync();
        return workload;
    }

    /// <summary>
    /// Funds every app generously through the operator grant (C7), so that the decisions measured are the common
    /// Allowed ones rather than NoCredits once the workspace's $500 of free credits are spent.
    /// </summary>
    private async Task FundAppsAsync()
    {
        await Task.WhenAll(AppIds.Select(id => _client.GetGrain<IAppWalletGrain>(id).Adjust(new WalletAdjustment(
            LedgerEntryKind.Grant, 1_000_000m, "benchmark funding", "op_benchmark", $"bench-fund-{id}"))));
        Funded = true;
    }

    /// <summary>The bare call, which needs no tenant: the ping grains go round <paramref name="keys"/> keys.</summary>
    public static BenchCall Ping(IClusterClient client, int keys) => async sequence =>
    {
        var value = (int)(sequence % int.MaxValue);
        var answer = await client.GetGrain<IPingGrain>($"bench-{sequence % keys}").Ping(value);
        if (answer != value + 1)
            throw new InvalidOperationException($"Ping({value}) answered {answer}.");
        return "Pong";
    };

    /// <summary>
    /// The metering decision, as a channel adapter makes it: one message of one end user, with a unique id and the
    /// current time. Messages go round <see cref="BenchmarkSettings.ChannelUsers"/> conversation slots; slot s belongs to
    /// app s mod apps. With a conversation length n, each slot's end user sends n messages and is then replaced by a new
    /// end user, so 1/n of the messages open a billing session (n = 1: every message is a new conversation).
    /// </summary>
    public BenchCall Meter => async _ =>
    {
        var decision = await _client.Meter(NextMessage());
        return decision.IsAllowed ? decision.OpenedBillingSession ? OpenedLabel : "Allowed" : $"Denied ({decision.Reason})";
    };

    /// <summary>The outcome label of an allowed decision that opened (and charged) a billing session.</summary>
    public const string OpenedLabel = "Allowed, opened a billing session";

    private ChannelMessage NextMessage()
    {
        // One counter across phases, so that a later phase meets new end users rather than the earlier phase's.
        var n = Interlocked.Increment(ref _messageCount) - 1;
        var slot = n % _settings.ChannelUsers;
        var round = n / _settings.ChannelUsers;
        var generation = _settings.ConversationLength > 0 ? round / _settings.ConversationLength : 0;
        var user = generation == 0 ? $"{slot}" : $"{slot}_{generation}";
        var (channel, channelClass) = Channels[slot / AppIds.Count % Channels.Length];
        return new ChannelMessage(
            MessageId: $"msg_{_runId}_{n}",
            AppId: AppIds[(int)(slot % AppIds.Count)],
            Channel: channel,
            ChannelClass: channelClass,
            ChannelUserId: $"cu_{user}",
            PlatformUserId: $"pu_{_runId}_{user}",
            Timestamp: DateTimeOffset.UtcNow,
            Kind: MessageKind.UserMessage);
    }
}
