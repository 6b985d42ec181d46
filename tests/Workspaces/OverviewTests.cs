using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Billing.Metering;
using Billing.Tests.Infrastructure;
using static Billing.Tests.Workspaces.TestWorkspace;

namespace Billing.Tests.Workspaces;

/// <summary>U3: the Plan &amp; Usage overview, checked against a workspace built step by step.</summary>
public sealed class OverviewTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_overview_adds_up_what_happened_in_the_workspace_U3()
    {
        // Step 1: a new workspace: $500 of free credits, no apps.
        var ws = await TestWorkspace.CreateAsync(api);
        var empty = await Overview(ws);
        Assert.Empty(empty.GetProperty("apps").EnumerateArray());
        AssertFree(empty, granted: 500m, used: 0m, remaining: 500m, expired: false);
        Assert.Equal(500m, empty.GetProperty("currentCreditsUsd").GetDecimal());
        Assert.Equal(7, empty.GetProperty("usageTrend").GetArrayLength());

        // Step 2: two apps; the first gets $150 of paid credits, the second is a member's and waits for publish approval.
        var (builderId, builder) = await ws.AddMemberAsync("Member", "builder");
        var paidApp = await ws.CreateAppAsync(ws.Owner, name: "Paid");
        var freeApp = await ws.CreateAppAsync(builder, name: "Free");
        await ws.GrantPaidAsync(paidApp, 150m);
        await Json(await builder.PostAsync($"/apps/{freeApp}/publish", null, Ct), HttpStatusCode.OK);

        // Step 3: traffic. The paid app: one end user, two messages (one session, $0.20 from paid, C4 PaidFirst).
        // The free app: three end users, one message each (three sessions, $0.60 of free credits).
        await Send(paidApp, "alice", "m1");
        await Send(paidApp, "alice", "m2");
        foreach (var user in new[] { "bob", "carol", "dave" })
            await Send(freeApp, user, "m-" + user);

        var overview = await Overview(ws);
        var apps = overview.GetProperty("apps").EnumerateArray().ToDictionary(a => a.GetProperty("appId").GetString()!);
        var paid = apps[paidApp];
        Assert.Equal((ws.OwnerId, $"{ws.OwnerId}@example.com", "Draft"), (paid.GetProperty("ownerUserId").GetString(), paid.GetProperty("ownerEmail").GetString(), paid.GetProperty("publishStatus").GetString()));
        Assert.Equal((149.80m, 0m, true, "Active", 2L), (paid.GetProperty("paidBalanceUsd").GetDecimal(), paid.GetProperty("freeCreditsUsedUsd").GetDecimal(), paid.GetProperty("isPaid").GetBoolean(), paid.GetProperty("status").GetString(), paid.GetProperty("requestsThisMonth").GetInt64()));
        var free = apps[freeApp];
        Assert.Equal((builderId, $"{builderId}@example.com", "PendingApproval"), (free.GetProperty("ownerUserId").GetString(), free.GetProperty("ownerEmail").GetString(), free.GetProperty("publishStatus").GetString()));
        Assert.Equal((0m, 0.60m, false, "Active", 3L), (free.GetProperty("paidBalanceUsd").GetDecimal(), free.GetProperty("freeCreditsUsedUsd").GetDecimal(), free.GetProperty("isPaid").GetBoolean(), free.GetProperty("status").GetString(), free.GetProperty("requestsThisMonth").GetInt64()));
        // Subscriptions are not built yet: the four fields are there, empty.
        foreach (var field in new[] { "supportPlan", "subscriptionType", "subscriptionFeeUsd", "renewalDueAt" })
            Assert.Equal(JsonValueKind.Null, free.GetProperty(field).ValueKind);
        Assert.Equal((1, 0), (overview.GetProperty("paidApps").GetInt32(), overview.GetProperty("inactiveApps").GetInt32()));
        AssertFree(overview, granted: 500m, used: 0.60m, remaining: 499.40m, expired: false);
        Assert.Equal(149.80m + 499.40m, overview.GetProperty("currentCreditsUsd").GetDecimal());
        Assert.Equal(5L, overview.GetProperty("requestsThisMonth").GetInt64());
        var today = overview.GetProperty("usageTrend").EnumerateArray().Last();
        Assert.Equal((DateOnly.FromDateTime(api.Clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd"), 4L, 5L), (today.GetProperty("period").GetString(), today.GetProperty("billingSessions").GetInt64(), today.GetProperty("requests").GetInt64()));

        // Step 4: 91 days later the free credits are forfeited (C2): the free app cannot answer any more.
        api.Clock.Advance(TimeSpan.FromDays(91));
        var later = await Overview(ws);
        var laterApps = later.GetProperty("apps").EnumerateArray().ToDictionary(a => a.GetProperty("appId").GetString()!);
        Assert.Equal("Inactive", laterApps[freeApp].GetProperty("status").GetString());
        Assert.Equal("Active", laterApps[paidApp].GetProperty("status").GetString());
        Assert.Equal((1, 1), (later.GetProperty("paidApps").GetInt32(), later.GetProperty("inactiveApps").GetInt32()));
        AssertFree(later, granted: 500m, used: 0.60m, remaining: 0m, expired: true);
        Assert.Equal(149.80m, later.GetProperty("currentCreditsUsd").GetDecimal());
    }

    [Fact]
    public async Task Outsiders_do_not_see_the_overview()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var other = await TestWorkspace.CreateAsync(api);

        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.GetAsync($"/workspaces/{ws.Id}/overview", Ct)).StatusCode);
    }

    private static void AssertFree(JsonElement overview, decimal granted, decimal used, decimal remaining, bool expired)
    {
        var free = overview.GetProperty("freeCredits");
        Assert.Equal((granted, used, remaining, expired), (free.GetProperty("grantedUsd").GetDecimal(), free.GetProperty("usedUsd").GetDecimal(), free.GetProperty("remainingUsd").GetDecimal(), free.GetProperty("expired").GetBoolean()));
    }

    private static async Task<JsonElement> Overview(TestWorkspace ws) =>
        await Json(await ws.Owner.GetAsync($"/workspaces/{ws.Id}/overview", Ct), HttpStatusCode.OK);

    private async Task Send(string appId, string endUser, string messageId)
    {
        var decision = await api.Cluster.Client.Meter(new ChannelMessage(
            $"{appId}-{messageId}", appId, "webchat", ChannelClass.Chat, endUser, "kore-" + endUser, api.Clock.GetUtcNow(), MessageKind.UserMessage));
        Assert.True(decision.IsAllowed, decision.Reason.ToString());
    }
}
