// What the GUI says about port forwards until the daemon can make them (issue 5): the honest
// state of things, not a form that pretends to work.

export function ForwardNotice(props: { port?: string; protocol?: string }) {
  return (
    <div class="notice" role="note">
      <p>
        <strong>Port forwards arrive with a later version of masq.</strong> This version cannot make them yet, so it
        cannot let this attempt through.
      </p>
      <p>
        When they arrive, a forward will say: “send what reaches the gateway
        {props.port ? ` on ${props.protocol?.toUpperCase() ?? ""} port ${props.port}` : " on a port you choose"} to this
        device on the LAN”. That is the one way something outside can reach a hidden host, and only on the ports you
        pick.
      </p>
    </div>
  );
}
