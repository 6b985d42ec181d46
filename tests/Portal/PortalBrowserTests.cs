using System.Text.Json;
using System.Text.RegularExpressions;
using Billing.Metering;
using Billing.Notifications;
using Billing.Notifications.Templates;
using Microsoft.Playwright;

namespace Billing.Tests.Portal;

/// <summary>
/// The owner portal in a real browser (headless Chromium): an owner's first day, start to end, through the pages an
/// owner uses, with axe-core checking every page for serious or critical accessibility violations and the
/// Content-Security-Policy for refusals; and a stranger's view of another tenant's app.
/// </summary>
public sealed partial class PortalBrowserTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_owner_signs_in_buys_credits_sees_usage_and_invoice_and_a_member_joins_C1_M1_A1_U1_U2_U4_W2()
    {
        await using var ownerContext = await portal.NewPerson();
        var owner = await Open(ownerContext);
        var tag = Guid.NewGuid().ToString("N")[..8];

        // A new user signs in (development sign-in) and creates a workspace: $500 of free credits for 90 days (C1).
        await Go(owner, "/signin");
        await Expect(owner.GetByRole(AriaRole.Heading, new() { Name = "Development sign-in: local use only" })).ToBeVisibleAsync();
        await owner.GetByLabel("Name").FillAsync("Olivia Owner");
        await owner.GetByLabel("Email (verified; invitations are accepted with it)").FillAsync($"olivia-{tag}@example.test");
        await Submit(owner, "Create and sign in");
        await Expect(owner.GetByRole(AriaRole.Heading, new() { Name = "Workspaces", Exact = true })).ToBeVisibleAsync();
        await owner.GetByLabel("Workspace name").FillAsync("Acme Support");
        await Submit(owner, "Create workspace");
        await Expect(owner.GetByRole(AriaRole.Heading, new() { Name = "Acme Support: Plan & Usage" })).ToBeVisibleAsync();
        await Expect(owner.GetByTestId("free-granted")).ToHaveTextAsync("$500.00");
        // 90 days after the clock's 1 Nov 2026 09:00 UTC, shown in the browser's zone (New York) and locale.
        await Expect(owner.GetByTestId("free-expiry")).ToHaveTextAsync("Jan 30, 2027");
        var workspaceUrl = new Uri(owner.Url).AbsolutePath;
        var workspaceId = workspaceUrl.Split('/')[2];
        await Accessible(owner);

        // An app.
        await owner.GetByLabel("App name").FillAsync("Order bot");
        await owner.GetByLabel("Product").SelectOptionAsync("AutomationAi");
        await Submit(owner, "Create app");
        await Expect(owner.GetByRole(AriaRole.Heading, new() { Name = "Order bot" , Exact = true })).ToBeVisibleAsync();
        var appUrl = new Uri(owner.Url).AbsolutePath;
        var appId = appUrl.Split('/')[4];
        await Expect(owner.GetByTestId("paid-balance")).ToHaveTextAsync("$0.00");
        await Accessible(owner);

        // $100 by card, with the OTP step (M1), on the sandbox gateway.
        await owner.GetByRole(AriaRole.Link, new() { Name = "Add funds" }).First.ClickAsync();
        await Expect(owner.GetByRole(AriaRole.Heading, new() { Name = "Add funds to Order bot" })).ToBeVisibleAsync();
        await Accessible(owner);
        await owner.GetByLabel("Amount (USD)").FillAsync("100");
        await owner.GetByLabel("A new card").CheckAsync();
        await owner.GetByLabel("Card number").FillAsync("4242424242424242");
        await owner.GetByLabel("Name on card").FillAsync("Olivia Owner");
        await owner.GetByLabel("Expiry month").FillAsync("12");
        await owner.GetByLabel("Expiry year").FillAsync("2030");
        await owner.GetByLabel("Security code").FillAsync("123");
        await Submit(owner, "Pay");
        await Expect(owner.GetByTestId("payment-status")).ToHaveTextAsync("Waiting for the one-time code");
        await Accessible(owner);
        await owner.GetByLabel("One-time code from your bank").FillAsync("123456");
        await Submit(owner, "Confirm payment");
        await Expect(owner.GetByTestId("payment-status")).ToHaveTextAsync("Paid");
        await Expect(owner.GetByRole(AriaRole.Status)).ToContainTextAsync("Paid $100.00.");

        // The invoice (U4) and its PDF.
        await owner.GetByRole(AriaRole.Link, new() { NameRegex = InvoiceNumber() }).ClickAsync();
        await Expect(owner.GetByTestId("invoice-total")).ToHaveTextAsync("$100.00");
        await Accessible(owner);
        var pdf = await owner.RunAndWaitForDownloadAsync(() => owner.GetByRole(AriaRole.Link, new() { Name = "Download PDF" }).ClickAsync());
        Assert.Null(await pdf.FailureAsync());
        var pdfBytes = await File.ReadAllBytesAsync(await pdf.PathAsync());
        Assert.Equal("%PDF"u8.ToArray(), pdfBytes[..4]);
        await Go(owner, $"/workspaces/{workspaceId}/invoices");
        await Expect(owner.GetByRole(AriaRole.Table)).ToContainTextAsync("$100.00");

        // The balance.
        await Go(owner, appUrl);
        await Expect(owner.GetByTestId("paid-balance")).ToHaveTextAsync("$100.00");

        // Auto-reload (A1): on after the purchase, with the card just stored.
        await owner.GetByRole(AriaRole.Link, new() { Name = "Auto-reload" }).First.ClickAsync();
        await Expect(owner.GetByTestId("auto-reload-state")).ToHaveTextAsync("off");
        await Accessible(owner);
        await owner.GetByLabel("Reload automatically").CheckAsync();
        await owner.GetByLabel("Reload amount (USD, at least $100.00)").FillAsync("100");
        await owner.GetByLabel("When the paid balance falls below (USD)").FillAsync("50");
        await Submit(owner, "Save auto-reload");
        await Expect(owner.GetByTestId("auto-reload-state")).ToHaveTextAsync("on");

        // Metered messages through the adapter contract: each end user opens one billing session ($0.20, paid first).
        const int endUsers = 5;
        for (var i = 0; i < endUsers; i++)
        {
            var decision = await portal.Cluster.Client.Meter(new ChannelMessage($"m-{tag}-{i}", appId, "webchat", ChannelClass.Chat, $"visitor-{i}", $"kore-{i}", portal.Clock.GetUtcNow(), MessageKind.UserMessage));
            Assert.True(decision.IsAllowed, decision.Reason.ToString());
        }

        // The trend (U1) shows them, in the chart and in its table; the balance paid for them.
        await Go(owner, appUrl);
        await Expect(owner.GetByTestId("paid-balance")).ToHaveTextAsync("$99.00");
        await Expect(owner.GetByTestId("trend-sessions")).ToHaveTextAsync(endUsers.ToString());
        var charted = await owner.EvaluateAsync<long>("() => Chart.getChart('trend-chart').data.datasets[0].data.reduce((a, b) => a + b, 0)");
        Assert.Equal(endUsers, charted);
        await Accessible(owner);

        // The CSV (U2): a header and one row per message.
        var csv = await owner.RunAndWaitForDownloadAsync(() => owner.GetByRole(AriaRole.Button, new() { Name = "Download CSV" }).ClickAsync());
        Assert.Null(await csv.FailureAsync());
        var rows = (await File.ReadAllLinesAsync(await csv.PathAsync(), Ct)).Where(l => l.Length > 0).ToArray();
        Assert.Equal(endUsers + 1, rows.Length);
        Assert.Contains(rows.Skip(1), r => r.Contains($"m-{tag}-0", StringComparison.Ordinal));

        // A member is invited (W2), follows the email's link, accepts, and sees the app.
        await Go(owner, $"/workspaces/{workspaceId}/team");
        await Accessible(owner);
        var memberEmail = $"mia-{tag}@example.test";
        await owner.GetByLabel("Email").FillAsync(memberEmail);
        await owner.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("Member");
        await Submit(owner, "Send invitation");
        await Expect(owner.GetByRole(AriaRole.Status)).ToContainTextAsync($"Invitation sent to {memberEmail}.");
        var invited = portal.Events.OfType<MemberInvited>().Single(e => e.Email == memberEmail);
        var link = new Uri(new PortalLinks(portal.BaseUrl).AcceptInvitation(invited.WorkspaceId, invited.InvitationId));

        await using var memberContext = await portal.NewPerson();
        var member = await Open(memberContext);
        await Go(member, link.PathAndQuery); // not signed in yet: the sign-in page, then back to the invitation
        await member.GetByLabel("Name").FillAsync("Mia Member");
        await member.GetByLabel("Email (verified; invitations are accepted with it)").FillAsync(memberEmail);
        await Submit(member, "Create and sign in");
        Assert.Equal(link.AbsolutePath, new Uri(member.Url).AbsolutePath);
        await Accessible(member);
        await Submit(member, "Accept the invitation");
        await Expect(member.GetByRole(AriaRole.Status)).ToContainTextAsync("You joined Acme Support as Member.");
        await member.GetByRole(AriaRole.Link, new() { Name = "Order bot" }).First.ClickAsync();
        await Expect(member.GetByRole(AriaRole.Heading, new() { Name = "Order bot", Exact = true })).ToBeVisibleAsync();
        await Expect(member.GetByTestId("paid-balance")).ToHaveTextAsync("$99.00");
        await Go(member, "/");
        await Expect(member.GetByRole(AriaRole.Link, new() { Name = "Acme Support" })).ToBeVisibleAsync();

        // The other pages of the navigation answer and pass axe too.
        foreach (var path in new[]
                 {
                     $"{workspaceUrl}/plans", $"{workspaceUrl}/publishing", $"{workspaceUrl}/enterprise", $"{workspaceUrl}/payment-methods",
                     $"{appUrl}/payment-methods", $"{appUrl}/subscriptions", $"{appUrl}/team", $"{appUrl}/seats", "/sign-up/confirm",
                 })
        {
            await Go(owner, path);
            await Accessible(owner);
        }

        AssertNoPageErrors();
    }

    [Fact]
    public async Task A_stranger_following_a_link_to_another_tenants_app_sees_not_found()
    {
        await using var ownerContext = await portal.NewPerson();
        var owner = await Open(ownerContext);
        await SignInAsNew(owner, "Tara Tenant");
        await owner.GetByLabel("Workspace name").FillAsync("Private Co");
        await Submit(owner, "Create workspace");
        await owner.GetByLabel("App name").FillAsync("Secret bot");
        await Submit(owner, "Create app");
        var appUrl = new Uri(owner.Url).AbsolutePath;

        await using var strangerContext = await portal.NewPerson();
        var stranger = await Open(strangerContext);
        await SignInAsNew(stranger, "Sam Stranger");
        var response = await stranger.GotoAsync(appUrl);

        Assert.Equal(404, response!.Status);
        await Expect(stranger.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToBeVisibleAsync();
        await Expect(stranger.Locator("main")).Not.ToContainTextAsync("Secret bot");
        await Accessible(stranger);
        // The browser reports the page's own 404 as a failed load; nothing else may fail.
        _pageErrors.RemoveAll(e => e.StartsWith(stranger.Url, StringComparison.Ordinal) && e.Contains("404", StringComparison.Ordinal));
        AssertNoPageErrors();
    }

    /// <summary>
    /// Every link of every email template (E1) is a portal page: rendered with the portal's address, each link's path
    /// is a page behind sign-in (a signed-out browser is sent to sign in and back), never a missing route or the API.
    /// </summary>
    [Fact]
    public async Task Every_link_in_every_email_template_lands_on_a_portal_page_E1()
    {
        var links = new PortalLinks(portal.BaseUrl);
        var world = Billing.Tests.Notifications.SampleWorld.New();
        var hrefs = Billing.Tests.Notifications.TemplateSamples.All(world)
            .SelectMany(sample => Href().Matches(EmailTemplates.Render(sample.Template, sample.Event, sample.Recipient, "Ada", links).Html))
            .Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value))
            .Distinct()
            .ToList();
        Assert.Contains(hrefs, h => h.Contains("/wallet/recharge", StringComparison.Ordinal)); // the collection is not empty or partial
        Assert.Equal(Enum.GetValues<EmailTemplate>().Length, Billing.Tests.Notifications.TemplateSamples.All(world).Count);

        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(portal.BaseUrl) };
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        foreach (var href in hrefs)
        {
            Assert.StartsWith(portal.BaseUrl + "/", href);
            var path = new Uri(href).PathAndQuery;
            using var response = await browser.GetAsync(path, Ct);
            Assert.True(response.StatusCode == System.Net.HttpStatusCode.Redirect, $"{path}: {(int)response.StatusCode}");
            Assert.Equal("/signin?ReturnUrl=" + Uri.EscapeDataString(path), response.Headers.Location!.PathAndQuery);
        }
    }

    private readonly List<string> _pageErrors = [];

    private async Task<IPage> Open(IBrowserContext context)
    {
        await context.AddInitScriptAsync(portal.AxeSource); // injected by the browser, not by the page: the CSP stays strict
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
                _pageErrors.Add($"{message.Location}: {message.Text}");
        };
        page.PageError += (_, error) => _pageErrors.Add($"{page.Url}: {error}");
        return page;
    }

    private async Task SignInAsNew(IPage page, string name)
    {
        await Go(page, "/signin");
        await page.GetByLabel("Name").FillAsync(name);
        await Submit(page, "Create and sign in");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Workspaces", Exact = true })).ToBeVisibleAsync();
    }

    private static async Task Go(IPage page, string path)
    {
        var response = await page.GotoAsync(path);
        Assert.True(response is { Ok: true }, $"{path} answered {response?.Status}");
    }

    private static Task Submit(IPage page, string button) =>
        page.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }).ClickAsync();

    /// <summary>axe-core's serious and critical violations on the page as it is now: there must be none.</summary>
    private static async Task Accessible(IPage page)
    {
        var violations = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const result = await axe.run(document, { resultTypes: ['violations'] });
              return result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map(n => n.target.join(' ')).join('; ')}`);
            }
            """);
        var found = violations.EnumerateArray().Select(v => v.GetString()).ToList();
        Assert.True(found.Count == 0, $"{page.Url}:\n{string.Join('\n', found)}");
    }

    /// <summary>No script error and no Content-Security-Policy refusal on any page visited.</summary>
    private void AssertNoPageErrors() => Assert.True(_pageErrors.Count == 0, string.Join('\n', _pageErrors));

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [GeneratedRegex("href=\"([^\"]+)\"")]
    private static partial Regex Href();

    [GeneratedRegex("^INV-")]
    private static partial Regex InvoiceNumber();
}
