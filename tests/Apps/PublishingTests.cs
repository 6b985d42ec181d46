using System.Net;
using System.Net.Http.Json;
using Billing.Ledgers;
using Billing.Notifications;
using Billing.Tests.Infrastructure;
using Billing.Tests.Workspaces;
using Billing.Wallets;
using static Billing.Tests.Workspaces.TestWorkspace;

namespace Billing.Tests.Apps;

/// <summary>D1: who approves a publish, by the credits that back the app; D2: the four first-publish events.</summary>
public sealed class PublishingTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly string[] Automation = ["AutomationAi"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task On_free_credits_only_a_publish_waits_for_an_admin_and_raises_admin_free_once_D1_D2()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var (_, builder) = await ws.AddMemberAsync("Member");
        var (_, admin) = await ws.AddMemberAsync("Admin");
        var appId = await ws.CreateAppAsync(builder);

        var requested = await Json(await builder.PostAsync($"/apps/{appId}/publish", null, Ct), HttpStatusCode.OK);
        Assert.Equal("PendingApproval", requested.GetProperty("publishStatus").GetString());
        Assert.Empty(FirstPublishes(appId));
        Assert.Equal(HttpStatusCode.Forbidden, (await builder.PostAsync($"/apps/{appId}/publish/approve", null, Ct)).StatusCode);

        var approved = await Json(await admin.PostAsync($"/apps/{appId}/publish/approve", null, Ct), HttpStatusCode.OK);
        await Json(await admin.PostAsync($"/apps/{appId}/publish/approve", null, Ct), HttpStatusCode.OK);
        await Json(await builder.PostAsync($"/apps/{appId}/publish", null, Ct), HttpStatusCode.OK);

        Assert.Equal("Published", approved.GetProperty("publishStatus").GetString());
        var published = Assert.Single(FirstPublishes(appId));
        Assert.Equal((PublishApproval.Admin, PublishFunding.FreeCredits, $"app-first-published:{appId}", ws.Id), (published.Approval, published.Funding, published.EventId, published.WorkspaceId));
    }

    [Fact]
    public async Task With_paid_credits_an_app_publishes_automatically_auto_paid_D1_D2()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var appId = await ws.CreateAppAsync(ws.Owner);
        await ws.GrantPaidAsync(appId, 100m);

        var published = await Json(await ws.Owner.PostAsync($"/apps/{appId}/publish", null, Ct), HttpStatusCode.OK);

        Assert.Equal("Published", published.GetProperty("publishStatus").GetString());
        var raised = Assert.Single(FirstPublishes(appId));
        Assert.Equal((PublishApproval.Auto, PublishFunding.PaidCredits), (raised.Approval, raised.Funding));
    }

    [Fact]
    public async Task With_neither_free_nor_paid_credits_a_publish_is_refused_with_the_reason_D1()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var appId = await ws.CreateAppAsync(ws.Owner);
        await ws.AdjustFreeCreditsAsync(-500m);

        var refused = await ws.Owner.PostAsync($"/apps/{appId}/publish", null, Ct);

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var problem = await refused.Content.ReadAsStringAsync(Ct);
        Assert.Contains("app.publish.no-credits", problem);
        Assert.Contains("Add funds", problem);
        Assert.Equal("Draft", (await Json(await ws.Owner.GetAsync($"/apps/{appId}", Ct), HttpStatusCode.OK)).GetProperty("publishStatus").GetString());
        Assert.Empty(FirstPublishes(appId));

        // Funds added: the same request goes through.
        await ws.GrantPaidAsync(appId, 100m);
        Assert.Equal("Published", (await Json(await ws.Owner.PostAsync($"/apps/{appId}/publish", null, Ct), HttpStatusCode.OK)).GetProperty("publishStatus").GetString());
    }

    [Fact]
    public async Task In_an_Enterprise_workspace_apps_publish_automatically_without_credits_D1()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var appId = await ws.CreateAppAsync(ws.Owner);
        await ws.AdjustFreeCreditsAsync(-500m);
        await Json(await ws.Owner.PostAsJsonAsync($"/workspaces/{ws.Id}/enterprise-upgrade", new { products = Automation }, Ct), HttpStatusCode.OK);
        await Json(await api.ClientFor("support-1", "billing-operator").PostAsJsonAsync($"/operator/workspaces/{ws.Id}/enterprise-upgrade/approve", new { products = Automation }, Ct), HttpStatusCode.OK);

        var published = await Json(await ws.Owner.PostAsync($"/apps/{appId}/publish", null, Ct), HttpStatusCode.OK);

        Assert.Equal(("Published", "Enterprise"), (published.GetProperty("publishStatus").GetString(), published.GetProperty("plan").GetString()));
        var raised = Assert.Single(FirstPublishes(appId));
        Assert.Equal((PublishApproval.Auto, PublishFunding.PaidCredits), (raised.Approval, raised.Funding));
    }

    [Fact]
    public async Task Auto_approval_on_free_credits_needs_a_purchase_first_and_then_raises_auto_free_D1_D2()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var granted = await ws.CreateAppAsync(ws.Owner);
        var appId = await ws.CreateAppAsync(ws.Owner);

        var tooEarly = await ws.Owner.PutAsJsonAsync($"/apps/{granted}/publish/auto-approval", new { enabled = true }, Ct);
        Assert.Equal(HttpStatusCode.Conflict, tooEarly.StatusCode);
        Assert.Contains("app.publish.auto-approval.unavailable", await tooEarly.Content.ReadAsStringAsync(Ct));
        // An operator's grant is not a purchase.
        await ws.GrantPaidAsync(granted, 100m);
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.PutAsJsonAsync($"/apps/{granted}/publish/auto-approval", new { enabled = true }, Ct)).StatusCode);

        // A purchase of $100, all spent since (paid balance 0): only free credits back the app now.
        await RecordPurchaseAsync(appId, 100m);
        await SpendAllPaidAsync(appId);
        await Json(await ws.Owner.PutAsJsonAsync($"/apps/{appId}/publish/auto-approval", new { enabled = true }, Ct), HttpStatusCode.OK);

        var published = await Json(await ws.Owner.PostAsync($"/apps/{appId}/publish", null, Ct), HttpStatusCode.OK);

        Assert.Equal("Published", published.GetProperty("publishStatus").GetString());
        var raised = Assert.Single(FirstPublishes(appId));
        Assert.Equal((PublishApproval.Auto, PublishFunding.FreeCredits), (raised.Approval, raised.Funding));
    }

    [Fact]
    public async Task Credits_are_checked_again_when_an_admin_approves_admin_paid_D1_D2()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var appId = await ws.CreateAppAsync(ws.Owner);
        Assert.Equal("PendingApproval", (await Json(await ws.Owner.PostAsync($"/apps/{appId}/publish", null, Ct), HttpStatusCode.OK)).GetProperty("publishStatus").GetString());

        await ws.GrantPaidAsync(appId, 100m);
        await Json(await ws.Owner.PostAsync($"/apps/{appId}/publish/approve", null, Ct), HttpStatusCode.OK);

        var raised = Assert.Single(FirstPublishes(appId));
        Assert.Equal((PublishApproval.Admin, PublishFunding.PaidCredits), (raised.Approval, raised.Funding));
    }

    [Fact]
    public async Task An_approval_is_refused_when_the_credits_ran_out_since_the_request_D1()
    {
        var ws = await TestWorkspace.CreateAsync(api);
        var appId = await ws.CreateAppAsync(ws.Owner);
        await Json(await ws.Owner.PostAsync($"/apps/{appId}/publish", null, Ct), HttpStatusCode.OK);
        await ws.AdjustFreeCreditsAsync(-500m);

        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.PostAsync($"/apps/{appId}/publish/approve", null, Ct)).StatusCode);
        var rejected = await Json(await ws.Owner.PostAsJsonAsync($"/apps/{appId}/publish/reject", new { reason = "No credits" }, Ct), HttpStatusCode.OK);
        Assert.Equal("Draft", rejected.GetProperty("publishStatus").GetString());
        Assert.Empty(FirstPublishes(appId));
    }

    private List<AppFirstPublished> FirstPublishes(string appId) => [.. api.Events.OfType<AppFirstPublished>().Where(e => e.AppId == appId)];

    /// <summary>
    /// A purchase in the app's paid ledger, as the payments module will post it. Written straight into the ledger book
    /// before the wallet grain is first activated (it loads the book then), since purchases are not built yet here.
    /// </summary>
    private async Task RecordPurchaseAsync(string appId, decimal amountUsd)
    {
        var table = api.Azurite.ServiceClient.GetTableClient(LedgerTable.TableName);
        var book = await LedgerBook.LoadAsync(table, AppWalletGrain.BookId(appId), cancellationToken: Ct);
        var result = await book.PostAsync(Posting.OneLeg(WalletAccounts.Paid, LedgerEntryKind.Purchase, amountUsd, api.Clock.GetUtcNow(), "test:purchase", idempotencyKey: "purchase-" + appId));
        Assert.Equal(PostingStatus.Applied, result.Status);
    }

    private async Task SpendAllPaidAsync(string appId)
    {
        var wallet = api.Cluster.Client.GetGrain<IAppWalletGrain>(appId);
        var balance = await wallet.GetBalance();
        await wallet.Adjust(new WalletAdjustment(LedgerEntryKind.Adjustment, -balance.PaidUsd, "spent in this test", "support-1", Guid.NewGuid().ToString("N")));
        Assert.Equal(0m, (await wallet.GetBalance()).PaidUsd);
    }
}
