// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title OPEN, the protocol's token
/// @notice ERC-20 with EIP-2612 permit and burning. The whole supply is minted once, at deploy.
/// @dev There is no mint function: every reward in the protocol comes from fees someone paid (DESIGN §3).
contract OpenToken is ERC20, ERC20Burnable, ERC20Permit {
    /// @param recipient receives the whole fixed supply
    /// @param supply the fixed supply, in wei (18 decimals)
    constructor(address recipient, uint256 supply) ERC20("OpenLedger", "OPEN") ERC20Permit("OpenLedger") {
        _mint(recipient, supply);
    }
}
