// Port forwards: not available in this version; says so and explains what they will do.

import { ForwardNotice } from "../components/ForwardNotice";

export function PortForwards() {
  return (
    <div class="screen forwards">
      <section class="card explain" aria-labelledby="fwd-what">
        <h2 id="fwd-what">What a port forward is</h2>
        <p>
          With sharing on, the devices on your LAN are hidden: the internet sees only this computer. A port forward is
          the exception you make on purpose: everything that reaches this computer on one port is passed to one device
          on the LAN, for example a game server or a camera you want to reach from outside.
        </p>
      </section>
      <ForwardNotice />
    </div>
  );
}
